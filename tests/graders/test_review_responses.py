r"""Second adversarial review: whole model responses, as real models write them, and extraction.

DeepSeek-R1 / QwQ reasoning blocks with trial boxes, Qwen-math and Llama answer phrases, AMC
choices, AIME integers, multiple answers, self-correction and hedging, LaTeX around boxes, Unicode,
non-English text, code blocks, and hostile or huge responses. Expected verdicts are a careful
human grader's; where the field disagrees, the MATH convention and Math-Verify decide and the note
says "ambiguous".
"""

import time

import pytest

from evalkit.graders import ExtractionPolicy, grade

from .cases import THINK_END, Case, resp

FALLBACK = {"last_number_fallback": True}
INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


def r1(summary: str, *, trial: str = "7") -> str:
    """A DeepSeek-R1 style response: reasoning with a trial box and numbers, then a summary."""
    return (
        "<think>\nOkay, so I need to solve this. The instructions say to put the final answer within "
        "\\boxed{}. Let me start with small cases: n = 1 gives 3, n = 2 gives 8, n = 3 gives 15. "
        f"Maybe the answer is \\boxed{{{trial}}}? Wait, no, that ignores the constraint. Let me redo "
        "it: 3^2 = 9, and 9 + 4 = 13, so 13 works but 14 does not. Hmm, let me double-check once "
        "more... yes.\n</think>\n\n" + summary
    )


def qwq(final: str) -> str:
    """A QwQ style response: the prompt opened ``<think>``, so only its end appears."""
    return (
        "Alright, let's see. First I'll try x = 2: that gives 10, too small. Then x = 4 gives 28. "
        "So the value must lie between, and checking x = 3 gives 19.\n</think>\n\n" + final
    )


SOLUTION = (
    "## Step 1: Set up the equation\nLet $x$ be the number of apples, so $2x + 3 = 13$.\n\n"
    "## Step 2: Solve\nSubtracting 3 gives $2x = 10$, so $x = 5$.\n\n"
)

GROUPS: dict[str, list[Case]] = {
    "r1": [
        resp(r1("**Final Answer**\n\\[\n\\boxed{13}\n\\]"), "13", True, "final answer display box"),
        resp(r1("**Final Answer**\n\\[\n\\boxed{13}\n\\]"), "7", False, "trial box inside think ignored"),
        resp(r1("**Final Answer**\n\\[\n\\boxed{13}\n\\]"), 13, True, "int gold"),
        resp(r1("**Final Answer**\n\\[\n\\boxed{13}\n\\]"), 14.0, False, "float gold wrong"),
        resp(
            r1("Thus the smallest value is $13$.\n\n**Final Answer**\nThe smallest value is \\boxed{13}."),
            "13",
            True,
            "summary sentence then box",
        ),
        resp(
            r1("**Final Answer**\n\\[\n\\boxed{\\dfrac{3}{4}}\n\\]", trial="\\frac{3}{4}"),
            "\\frac34",
            True,
            "trial box equals final",
        ),
        resp(
            r1("**Final Answer**\nThe answer is $\\boxed{\\dfrac{\\sqrt{3}}{2}}$."),
            "\\frac{\\sqrt3}{2}",
            True,
            "radical in summary",
        ),
        resp(
            r1("**Final Answer**\nThe answer is $\\boxed{\\dfrac{\\sqrt{3}}{2}}$."),
            "\\frac{\\sqrt2}{2}",
            False,
            "radical in summary wrong",
        ),
        resp(
            r1("**Final Answer**\n\\[\n\\boxed{13}\n\\]"),
            "13",
            True,
            "think closed with require think end",
            **THINK_END,
        ),
        resp(
            r1("The computation gives 13.\n\n**Final Answer**\n\\[\n13\n\\]"),
            "13",
            True,
            "final answer display math without box",
        ),
        resp(
            r1("**Final Answer**\n\\[\n\\frac{3}{4}\n\\]"),
            "\\frac{3}{4}",
            True,
            "display fraction over several lines",
        ),
        resp(
            r1("**Final Answer**\n\\[\n\\frac{4}{3}\n\\]"),
            "\\frac{3}{4}",
            False,
            "display fraction over several lines wrong",
        ),
        resp(r1(""), "7", False, "nothing after think: trial box not taken"),
        resp(
            qwq("So the answer is \\(\\boxed{19}\\)."),
            "19",
            True,
            "qwq prompt-opened think",
            **THINK_END,
        ),
        resp(qwq("So the answer is \\(\\boxed{19}\\)."), "28", False, "qwq wrong"),
        resp(
            qwq("**Final Answer**\n\\boxed{19}\n\n\n   "),
            "19",
            True,
            "trailing whitespace and newlines",
        ),
    ],
    "instruction-echo": [
        resp(
            INSTRUCTION + "\n\nWe solve $2x + 3 = 13$. The answer is 5.",
            "5",
            True,
            "echoed instruction first, phrase later",
        ),
        resp(
            INSTRUCTION + "\n\nWe solve $2x + 3 = 13$ and get x = 5.",
            "5",
            False,
            "echoed instruction is not an answer",
        ),
        resp(
            "We solve $2x+3=13$, so $\\boxed{5}$.\n\nI have put the final answer within \\boxed{} as requested.",
            "5",
            True,
            "empty box after the answer box",
        ),
        resp(
            "We solve $2x+3=13$, so $\\boxed{6}$.\n\nI have put the final answer within \\boxed{} as requested.",
            "5",
            False,
            "empty box after a wrong answer box",
        ),
        resp(
            "So the answer is 5. Remember to put your final answer within \\boxed{}.",
            "5",
            True,
            "phrase then echoed instruction",
        ),
        resp(
            "Remember to put your final answer within \\boxed{}.",
            "0",
            False,
            "instruction only",
        ),
        resp(
            "The final answer should be written in the form \\boxed{ }. We get \\boxed{12}.",
            "12",
            True,
            "blank box then answer box",
        ),
        resp(
            "The final answer should be written in the form \\boxed{ }. We get \\boxed{12}.",
            "0",
            False,
            "blank box then answer box wrong",
        ),
        resp(
            r1("To finish, I put my final answer within \\boxed{}: \\boxed{13}"),
            "13",
            True,
            "summary echoes instruction then boxes",
        ),
    ],
    "truncated": [
        resp(
            "<think>\nLet me try n = 4: that gives \\boxed{20}? Hmm, not sure, let me check n = 5, which gives",
            "20",
            True,
            "truncated think default policy takes trial box (ambiguous: Math-Verify does too)",
        ),
        resp(
            "<think>\nLet me try n = 4: that gives \\boxed{20}? Hmm, not sure, let me check n = 5, which gives",
            "20",
            False,
            "truncated think with require think end",
            **THINK_END,
        ),
        resp(
            "Let me compute 3 + 4 = 7, then multiply by 2 to get 14, and then",
            "14",
            False,
            "truncated plain reasoning",
        ),
        resp(
            "Let me compute 3 + 4 = 7, then multiply by 2 to get 14, and then",
            "14",
            False,
            "truncated plain reasoning under require think end",
            **THINK_END,
        ),
        resp(
            "So the answer is 5.\n\n**Final Answer**\n\\[\n\\boxed{",
            "5",
            True,
            "truncated inside final box after a stated answer (ambiguous, as Math-Verify)",
        ),
        resp("We get \\boxed{", "5", False, "box opened at the very end"),
        resp("We get \\boxed{1", "1", False, "box never closes"),
        resp(
            "<think>\nTrying 6. So far \\boxed{6} seems right.\n</think>\n\n**Final Answer**\n\\[\n\\boxed{",
            "6",
            False,
            "truncated in the final box after think: trial box not taken",
        ),
    ],
    "qwen-llama": [
        resp(SOLUTION + "The final answer is $\\boxed{5}$. I hope it is correct.", "5", True, "minerva box"),
        resp(
            SOLUTION + "The final answer is $\\boxed{5}$. I hope it is correct.",
            "6",
            False,
            "minerva box wrong",
        ),
        resp(
            SOLUTION + "Final Answer: The final answer is $5$. I hope it is correct.",
            "5",
            True,
            "minerva phrase dollars",
        ),
        resp(
            SOLUTION + "Final Answer: The final answer is $5$. I hope it is correct.",
            "2",
            False,
            "minerva phrase not the step number",
        ),
        resp(
            SOLUTION + "Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.",
            "0.5",
            True,
            "minerva phrase fraction",
        ),
        resp(SOLUTION + "Therefore, the answer is \\(\\boxed{5}\\).", "5", True, "paren math box"),
        resp(SOLUTION + "Therefore, the answer is \\(\\boxed{5}\\).", "10", False, "paren math box wrong"),
        resp(SOLUTION + "**Answer:** 5", "5", True, "markdown bold answer"),
        resp(SOLUTION + "**Answer: 5**", "5", True, "markdown bold around answer"),
        resp(SOLUTION + "**Answer: 5**", "3", False, "markdown bold around answer wrong"),
        resp(SOLUTION + "The answer is: 5", "5", True, "answer is colon"),
        resp(SOLUTION + "The answer is: 5", "13", False, "answer is colon wrong"),
        resp(SOLUTION + "$$\\boxed{5}$$", "5", True, "display dollars box"),
        resp(SOLUTION + "\\[ \\boxed{5} \\]", "5", True, "display bracket box"),
        resp(SOLUTION + "\\[ \\boxed{5} \\]", "-5", False, "display bracket box sign"),
        resp(
            SOLUTION + "The final answer is: $\\boxed{5}$",
            "5",
            True,
            "llama final answer colon box",
        ),
        resp(SOLUTION + "The answer is **5**.", "5", True, "bold number"),
        resp(SOLUTION + "The answer is \\(x = 5\\).", "5", True, "paren math equation"),
        resp(SOLUTION + "The answer is \\(x = 5\\).", "-5", False, "paren math equation wrong"),
        resp(
            SOLUTION + "Thus, the final answer is:\n\n$$\n5\n$$",
            "5",
            True,
            "final answer display dollars on own lines",
        ),
        resp(SOLUTION + "The answer is $5$ apples.", "5", True, "math then words"),
        resp(SOLUTION + "The answer is $5$ apples.", "2", False, "math then words wrong"),
    ],
    "box-latex": [
        resp("So $\\boxed{x = \\dfrac{1}{2}}$.", "\\frac12", True, "boxed equation dfrac"),
        resp("So $\\boxed{x = \\dfrac{1}{2}}$.", "2", False, "boxed equation dfrac reciprocal"),
        resp("It takes $\\boxed{\\dfrac{1}{2}\\text{ hours}}$.", "\\frac{1}{2}", True, "fraction with hours"),
        resp("It takes $\\boxed{\\dfrac{1}{2}\\text{ hours}}$.", "30", False, "hours are not minutes"),
        resp("The cost is $\\boxed{\\$ 12.50}$.", "12.50", True, "dollar amount"),
        resp("The cost is $\\boxed{\\$ 12.50}$.", 12.5, True, "dollar amount float gold"),
        resp("The cost is $\\boxed{\\$ 12.50}$.", "1250", False, "dollar amount is not cents"),
        resp("The rate is $\\boxed{12\\%}$.", "12", True, "percent vs bare gold"),
        resp("The rate is $\\boxed{12\\%}$.", "12\\%", True, "percent vs percent gold"),
        resp("The rate is $\\boxed{12\\%}$.", "0.12", False, "percent vs decimal gold (ambiguous)"),
        resp("The angle is $\\boxed{45^{\\circ}}$.", "45", True, "degrees"),
        resp("The angle is $\\boxed{45^{\\circ}}$.", "45^\\circ", True, "degrees both"),
        resp("The angle is $\\boxed{45^{\\circ}}$.", "135", False, "degrees supplement"),
        resp("The answer is $\\boxed{\\text{(A)}}$.", "\\text{(A)}", True, "text choice"),
        resp("The answer is $\\boxed{\\text{(A)}}$.", "\\text{(B)}", False, "text choice wrong"),
        resp("The area is $\\boxed{24 \\text{ cm}^2}$.", "24", True, "area unit"),
        resp("The area is $\\boxed{24 \\text{ cm}^2}$.", "48", False, "area unit wrong"),
        resp(
            "So $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$.",
            "\\left( 3, \\frac{\\pi}{2} \\right)",
            True,
            "polar",
        ),
        resp(
            "So $\\boxed{\\left( \\frac{\\pi}{2}, 3 \\right)}$.",
            "\\left( 3, \\frac{\\pi}{2} \\right)",
            False,
            "polar swapped",
        ),
        resp("So $\\boxed{\\displaystyle \\frac{7}{2}}$.", "3.5", True, "displaystyle in box"),
        resp("Hence $\\boxed{\\mathbf{5}}$.", "5", True, "bold math in box"),
        resp("Hence $\\boxed{x \\in [2, 5)}$.", "[2,5)", True, "membership in box"),
        resp("Hence $\\boxed{x \\in [2, 5)}$.", "[2,5]", False, "membership in box bracket"),
        resp(
            "The matrix is $\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$.",
            "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
            True,
            "matrix in box",
        ),
        resp(
            "The matrix is $\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$.",
            "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}",
            False,
            "matrix in box transposed",
        ),
    ],
    "unicode": [
        resp("So the answer is $\\boxed{−7}$.", "-7", True, "unicode minus in box"),
        resp("So the answer is $\\boxed{−7}$.", "7", False, "unicode minus kept in box"),
        resp("The product is $\\boxed{6 × 10^{3}}$.", "6000", True, "times sign scientific"),
        resp("The product is $\\boxed{6 × 10^{3}}$.", "600", False, "times sign scientific wrong"),
        resp("So $\\boxed{2√3}$.", "2\\sqrt{3}", True, "root sign"),
        resp("So $\\boxed{2√3}$.", "3\\sqrt{2}", False, "root sign swapped"),
        resp("So $\\boxed{3π}$.", "3\\pi", True, "pi sign"),
        resp("So $\\boxed{π/2}$.", "\\frac{\\pi}{2}", True, "pi over two"),
        resp("So $\\boxed{π/2}$.", "2\\pi", False, "pi over two wrong"),
        resp("So $\\boxed{(−∞, 2]}$.", "(-\\infty, 2]", True, "unicode interval"),
        resp("So $\\boxed{(−∞, 2]}$.", "(-\\infty, 2)", False, "unicode interval bracket"),
        resp("So $\\boxed{x ≤ 2}$.", "(-\\infty, 2]", True, "unicode le"),
        resp("So $\\boxed{x ≥ 2}$.", "(-\\infty, 2]", False, "unicode ge direction"),
        resp("The angle is 60°, so the answer is $\\boxed{60°}$.", "60", True, "degree sign"),
        resp("The angle is 60°, so the answer is $\\boxed{60°}$.", "120", False, "degree sign wrong"),
        resp("So $\\boxed{12 ÷ 4}$.", "3", True, "division sign (ambiguous: unsimplified)"),
        resp("So $\\boxed{12 ÷ 4}$.", "4", False, "division sign wrong"),
        resp("The answer is −5.", "-5", True, "unicode minus phrase"),
        resp("So $\\boxed{x²+1}$.", "x^2+1", True, "superscript two"),
        resp("So $\\boxed{x²+1}$.", "x+1", False, "superscript two is a power"),
        resp("The area is $\\boxed{25 cm²}$.", "25", True, "superscript unit"),
        resp("The volume is $\\boxed{2³}$.", "8", True, "superscript three"),
        resp("The volume is $\\boxed{2³}$.", "23", False, "superscript three is not a digit"),
    ],
    "full-width": [
        resp("所以答案是 $\\boxed{１２}$。", "12", True, "full width digits in box"),
        resp("所以答案是 $\\boxed{１２}$。", "21", False, "full width digits wrong"),
        resp("所以 $\\boxed{２，３}$。", "2, 3", True, "full width comma list"),
        resp("所以 $\\boxed{２，３}$。", "2", False, "full width comma list vs one"),
        resp("所以 $\\boxed{（１，２）}$。", "(1,2)", True, "full width parentheses tuple"),
        resp("所以 $\\boxed{（１，２）}$。", "(2,1)", False, "full width parentheses tuple swapped"),
        resp("所以 $\\boxed{１．５}$。", "\\frac32", True, "full width decimal point"),
        resp("所以 $\\boxed{－３}$。", "-3", True, "full width minus"),
        resp("所以 $\\boxed{－３}$。", "3", False, "full width minus kept"),
    ],
    "non-english": [
        resp("因此，答案是 $\\boxed{5}$。", "5", True, "chinese around box"),
        resp("因此，答案是 $\\boxed{5}$。", "6", False, "chinese around box wrong"),
        resp("经过计算，答案是 5。", "5", True, "chinese answer phrase"),
        resp("经过计算，答案是 5。", "50", False, "chinese answer phrase wrong"),
        resp("经过计算，答案为 $\\frac{1}{2}$。", "0.5", True, "chinese answer phrase wei"),
        resp("最终答案：$12$", "12", True, "chinese final answer colon"),
        resp("最终答案：$12$", "13", False, "chinese final answer colon wrong"),
        resp("Die Antwort ist $\\boxed{42}$.", "42", True, "german around box"),
        resp("La respuesta es $\\boxed{42}$.", "24", False, "spanish around box wrong"),
        resp("Ответ: $\\boxed{7}$", "7", True, "russian around box"),
    ],
    "code-blocks": [
        resp(
            "```python\nfrom math import comb\nprint(comb(10, 3))\n```\n```output\n120\n```\n"
            "So there are $\\boxed{120}$ ways.",
            "120",
            True,
            "tool output then box",
        ),
        resp(
            "```python\nprint(comb(10, 3))\n```\n```output\n120\n```\nSo there are $\\boxed{100}$ ways.",
            "120",
            False,
            "tool output differs from box",
        ),
        resp(
            "```python\nans = 12\nprint(f'\\\\boxed{{{ans}}}')\n```\nThe final answer is $\\boxed{12}$.",
            "12",
            True,
            "code printing a box then box",
        ),
        resp("Final answer:\n```\n42\n```", "42", True, "answer in code block"),
        resp("Final answer:\n```\n42\n```", "24", False, "answer in code block wrong"),
        resp("The answer is `42`.", "42", True, "answer in inline code"),
        resp("The answer is `42`.", "4", False, "answer in inline code wrong"),
    ],
    "amc": [
        resp(
            "Checking the options, the answer is $\\boxed{\\textbf{(C)}\\ 17}$.",
            "\\text{(C)}",
            True,
            "letter and value vs letter gold",
        ),
        resp(
            "Checking the options, the answer is $\\boxed{\\textbf{(C)}\\ 17}$.",
            "C",
            True,
            "letter and value vs bare letter gold",
        ),
        resp(
            "Checking the options, the answer is $\\boxed{\\textbf{(C)}\\ 17}$.",
            "\\text{(B)}",
            False,
            "letter and value vs other letter",
        ),
        resp("Checking the options, the answer is $\\boxed{C}$.", "C", True, "letter box"),
        resp("Checking the options, the answer is $\\boxed{C}$.", 17.0, False, "letter only vs float gold"),
        resp("Checking the options, the answer is $\\boxed{C}$.", 17, False, "letter only vs int gold"),
        resp("Checking the options, the answer is $\\boxed{(C)}$.", "(C)", True, "parenthesised letter both"),
        resp("Thus the answer is $\\boxed{17}$.", 17.0, True, "value vs float gold"),
        resp("Thus the answer is $\\boxed{17.0}$.", 17.0, True, "float value vs float gold"),
        resp("Thus the answer is $\\boxed{17.5}$.", 17.0, False, "near value vs float gold"),
        resp("Thus the answer is $\\boxed{\\frac{5}{2}}$.", 2.5, True, "fraction vs float gold"),
        resp("Thus the answer is $\\boxed{\\frac{1}{3}}$.", 1 / 3, True, "fraction vs float repr gold"),
        resp("Thus the answer is $\\boxed{0.33}$.", 1 / 3, False, "rounded vs float repr gold"),
        resp(
            "The answer is \\textbf{(C) }17.",
            "\\text{(C)}",
            True,
            "bold letter in text after phrase",
        ),
        resp("The answer is \\textbf{(C) }17.", "\\text{(E)}", False, "bold letter in text wrong"),
        resp(
            "The value is $17$, which is choice $\\textbf{(C)}$, so the answer is $17$.",
            17.0,
            True,
            "value stated after choice",
        ),
        resp(
            "Checking the options, the answer is $\\boxed{\\textbf{(C)}\\ 17}$.",
            17.0,
            True,
            "letter and right value vs float gold (ambiguous: the value is stated)",
        ),
        resp(
            "It is $\\boxed{\\textbf{(C)}}$ or $\\boxed{\\textbf{(D)}}$.",
            "C",
            False,
            "two letters hedged",
        ),
    ],
    "aime": [
        resp("So the answer is $\\boxed{033}$.", "033", True, "padded vs padded"),
        resp("So the answer is $\\boxed{033}$.", 33, True, "padded vs int"),
        resp("So the answer is $\\boxed{33}$.", "033", True, "plain vs padded"),
        resp("So the answer is $\\boxed{33}$.", 33, True, "plain vs int"),
        resp("So the answer is $\\boxed{303}$.", "033", False, "digits moved"),
        resp(
            "We found $N = 2033$. The remainder when $N$ is divided by $1000$ is $\\boxed{33}$.",
            33,
            True,
            "remainder boxed",
        ),
        resp(
            "We found $N = 2033$, so the answer is $\\boxed{2033}$.",
            33,
            False,
            "unreduced remainder",
        ),
        resp("Therefore $m+n = \\boxed{25}$.", 25, True, "m plus n equals box"),
        resp("Therefore $\\boxed{m+n = 25}$.", 25, True, "m plus n inside box"),
        resp("Therefore $\\boxed{m+n = 52}$.", 25, False, "m plus n inside box wrong"),
        resp(
            "Thus $\\frac{m}{n} = \\frac{7}{18}$ and $m + n = \\boxed{025}$.", "25", True, "padded m plus n"
        ),
        resp("So the answer is $\\boxed{33.0}$.", 33, True, "float written vs int"),
        resp("So the answer is $\\boxed{0}$.", 0, True, "zero"),
        resp("So the answer is $\\boxed{000}$.", 0, True, "padded zero"),
        resp("So the answer is $\\boxed{000}$.", 1, False, "padded zero wrong"),
    ],
    "multi": [
        resp(
            "The solutions are $x = 2$ and $x = -3$, so $\\boxed{2, -3}$.",
            "-3, 2",
            True,
            "solutions in one box",
        ),
        resp(
            "The solutions are $x = 2$ and $x = -3$, so $\\boxed{2, -3}$.",
            "2",
            False,
            "solutions in one box vs one",
        ),
        resp(
            "Hence $x = \\boxed{2}$ or $x = \\boxed{-3}$.", "2, -3", True, "boxes in equations joined by or"
        ),
        resp("Hence $\\boxed{2}$ or $\\boxed{-3}$.", "2, -3", True, "boxes joined by or"),
        resp("Hence $\\boxed{2}$ or $\\boxed{-3}$.", "-3", False, "boxes joined by or vs one"),
        resp("So $\\boxed{x = 2 \\text{ and } x = -3}$.", "2,-3", True, "equations joined by and in box"),
        resp("So $\\boxed{x = 2, -3}$.", "2,-3", True, "equation listing both"),
        resp("So $\\boxed{x=2, x=-3}$.", "-3, 2", True, "equations listed"),
        resp("So $\\boxed{x=2, x=3}$.", "-3, 2", False, "equations listed wrong"),
        resp(
            "(a) The perimeter is $\\boxed{12}$. (b) The area is $\\boxed{9}$.",
            "12, 9",
            False,
            "two-part answers in separate sentences (ambiguous, as Math-Verify: last box)",
        ),
        resp("So the answers are $\\boxed{12}$ and $\\boxed{9}$.", "12, 9", True, "two-part boxes joined"),
        resp("So $\\boxed{3}$, $\\boxed{5}$, $\\boxed{7}$.", "\\{3, 5, 7\\}", True, "three boxes vs set"),
        resp("So $\\boxed{1 \\pm \\sqrt{2}}$.", "1+\\sqrt2, 1-\\sqrt2", True, "pm in box vs list"),
        resp("So $\\boxed{1 \\pm \\sqrt{2}}$.", "1+\\sqrt2", False, "pm in box vs one root"),
    ],
    "hedge": [
        resp(
            "So $\\boxed{5}$. Wait, I dropped a factor of 2 in step 3. Redoing it, we get $\\boxed{6}$.",
            "6",
            True,
            "self correction",
        ),
        resp(
            "So $\\boxed{5}$. Wait, I dropped a factor of 2 in step 3. Redoing it, we get $\\boxed{6}$.",
            "5",
            False,
            "self correction first box",
        ),
        resp("The answer is either $\\boxed{5}$ or $\\boxed{6}$.", "5", False, "either or boxes"),
        resp("The answer is either $\\boxed{5}$ or $\\boxed{6}$.", "6", False, "either or boxes second"),
        resp("The answer is $\\boxed{5 \\text{ or } 6}$.", "5", False, "or inside box"),
        resp("The answer is either 5 or 6.", "5", False, "either or phrase"),
        resp("The answer is 5 or 6.", "6", False, "or phrase"),
        resp("$\\boxed{5}$ $\\boxed{5}$", "5", True, "repeated box"),
        resp("The answer is $\\boxed{5}$, i.e. $\\boxed{5}$.", "5", True, "repeated box with ie"),
        resp(
            "The answer is $\\boxed{5}$.\n\nWait, let me double check: $2 \\cdot 5 + 3 = 13$. Yes, 5 is right.",
            "5",
            True,
            "check after box",
        ),
        resp(
            "The answer is $\\boxed{5}$.\n\nWait, actually the answer is 6.",
            "5",
            True,
            "later phrase without box (ambiguous: the box wins, as Math-Verify and the MATH convention)",
        ),
        resp(
            "\\boxed{A} \\boxed{B} \\boxed{C} \\boxed{D} \\boxed{E}",
            "C",
            False,
            "every letter boxed",
        ),
        resp("$\\boxed{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}$", "7", False, "every number boxed"),
    ],
    "hostile": [
        resp("Thinking... " * 20_000 + "So $\\boxed{7}$.", "7", True, "240 KB reasoning then box"),
        resp("Thinking... " * 20_000 + "So $\\boxed{7}$.", "8", False, "240 KB reasoning then wrong box"),
        resp("x = 3, " * 40_000 + "so the answer is 3.", "3", True, "280 KB numbers then phrase"),
        resp("\\boxed{1} " * 10_000, "1", True, "ten thousand equal boxes"),
        resp("".join(f"\\boxed{{{i}}} " for i in range(10_000)), "9999", False, "ten thousand boxes"),
        resp(
            "".join(f"Try \\boxed{{{i}}}. " for i in range(10_000)),
            "9999",
            True,
            "ten thousand trials, last counts (ambiguous)",
        ),
        resp("So $\\boxed{" + "{" * 200 + "5" + "}" * 200 + "}$.", "5", True, "deeply nested braces"),
        resp("So $\\boxed{" + "{" * 200 + "5" + "}" * 200 + "}$.", "6", False, "deeply nested braces wrong"),
        resp("So $\\boxed{" + "{" * 30_000 + "5", "5", False, "nested braces never close"),
        resp(
            "So $\\boxed{5}$ or maybe $\\boxed{" + "9" * 30_000 + "}$.",
            "5",
            False,
            "over-long last box hides an earlier guess",
        ),
        resp(
            "First \\boxed{" + "1+" * 12_000 + "1}. Then the answer is $\\boxed{5}$.",
            "5",
            True,
            "over-long earlier box",
        ),
        resp("}" * 10_000 + "\\boxed{5}" + "{" * 10_000, "5", True, "stray braces around box"),
        resp("\\boxed{\\boxed{\\boxed{\\boxed{9}}}}", "9", True, "boxes in boxes"),
        resp("\\boxed{" * 5_000 + "9" + "}" * 5_000, "9", True, "five thousand boxes in boxes"),
        resp("\\boxed{" * 5_000 + "9" + "}" * 5_000, "8", False, "five thousand boxes in boxes wrong"),
        resp("The answer is \\boxed{\\frac{1}{0}}.", "0", False, "division by zero"),
        resp("</think>" * 1_000 + "\\boxed{4}", "4", True, "many think ends"),
        resp("\x00\x01 \\boxed{4} \ufeff", "4", True, "control characters around box"),
    ],
    "restated": [
        resp(SOLUTION + "The answer is 5 apples.", "5", True, "number then counted noun"),
        resp(SOLUTION + "The answer is 5 red apples.", "5", True, "number then adjective and noun"),
        resp(SOLUTION + "The answer is 5 apples.", "6", False, "number then counted noun wrong"),
        resp("So the answer is 10 million.", "10", False, "million is part of the value"),
        resp("So the answer is 10 million.", "10000000", True, "million spelled out (ambiguous)"),
        resp("So the answer is 3 halves.", "3", False, "halves is part of the value"),
        resp("So the answer is 5 factorial.", "5", False, "factorial is part of the value"),
        resp(
            "The answer is $\\boxed{\\frac{1}{2}}$ or $\\boxed{0.5}$.",
            "\\frac12",
            True,
            "same value boxed twice",
        ),
        resp(
            "The answer is $\\boxed{\\frac{1}{2}}$ or $\\boxed{0.5}$.",
            "0.25",
            False,
            "same value boxed twice wrong",
        ),
        resp(
            "So the answer is $\\boxed{\\frac{9}{2} \\text{ or } 4.5}$.",
            "\\frac92",
            True,
            "same value two ways in one box",
        ),
        resp(
            "So the answer is $\\boxed{\\frac{9}{2} \\text{ or } 5.4}$.",
            "\\frac92",
            False,
            "two ways in one box disagree",
        ),
        resp("The answer is $\\frac{1}{2}$, or $0.5$.", "0.5", True, "phrase math then restated"),
        resp("The answer is 1/2, or 0.5.", "\\frac12", True, "plain value restated"),
        resp("The answer is 1/2, or 0.4.", "\\frac12", False, "plain value restated wrongly"),
        resp("The answer is $\\boxed{x = 3}$, $\\boxed{x = -3}$.", "3", False, "two roots vs one gold"),
    ],
    "fallback": [
        resp(
            "The sum is 3 + 4 = 7, and doubled it is 14.",
            "14",
            True,
            "last number fallback",
            **FALLBACK,
        ),
        resp(
            "The sum is 3 + 4 = 7, and doubled it is 14.",
            "7",
            False,
            "last number fallback is the last",
            **FALLBACK,
        ),
        resp(
            "We have 3 apples. The answer is five.",
            "3",
            False,
            "word answer beats fallback",
            **FALLBACK,
        ),
        resp("\\boxed{}", "0", False, "empty box with fallback", **FALLBACK),
        resp(
            "<think>\nTrying 12.\n</think>\n\nThe total is 15.",
            "15",
            True,
            "fallback only after think",
            **FALLBACK,
        ),
        resp(
            "<think>\nTrying 12.\n</think>\n\nI am not sure.",
            "12",
            False,
            "fallback does not reach into think",
            **FALLBACK,
        ),
    ],
}

ALL: list[tuple[str, Case]] = [(f"{group}:{c.note}", c) for group, cases in GROUPS.items() for c in cases]


@pytest.mark.parametrize("case", [c for _, c in ALL], ids=[i for i, _ in ALL])
def test_response(case: Case) -> None:
    policy = ExtractionPolicy(**case.policy) if case.policy else None
    verdict = grade(case.response, case.gold, extract=case.extract, policy=policy)
    assert verdict.correct is case.expected, verdict


def test_review_is_broad() -> None:
    assert len(ALL) >= 150
    assert len({i for i, _ in ALL}) == len(ALL)
    for group, cases in GROUPS.items():
        assert {c.expected for c in cases} == {True, False}, group


def test_hostile_responses_are_fast() -> None:
    """Every hostile response is graded (extraction included) in well under a second."""
    for case in GROUPS["hostile"]:
        start = time.perf_counter()
        grade(case.response, case.gold)
        assert time.perf_counter() - start < 1.0, case.note
