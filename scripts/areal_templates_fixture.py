"""Copy AReaL's prompt template strings into tests/fixtures/areal_prompt_templates.json.

Reads ``evaluation/utils.py`` of each tag from a git clone of inclusionAI/AReaL with ``ast`` (nothing of
AReaL is executed or copied but the string literals): ``PROMPT_TEMPLATES``, and the two strings that
``construct_prompt`` adds around some templates (the tora instruction and the platypus_fs wrapper).

    python scripts/areal_templates_fixture.py /path/to/AReaL.git v0.5.3 v0.2.0
"""

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "areal_prompt_templates.json"
PATH = "evaluation/utils.py"


def _strings(tree: ast.AST) -> dict[str, Any]:
    templates: dict[str, list[str]] = {}
    extra: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PROMPT_TEMPLATES" for t in node.targets
        ):
            templates = {k: list(v) for k, v in ast.literal_eval(node.value).items()}
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "full_prompt_temp" for t in node.targets
        ):
            extra["platypus_fs_wrapper"] = ast.literal_eval(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.left, ast.Constant):
            text = node.left.value
            if isinstance(text, str) and text.startswith("Integrate step-by-step"):
                extra["tora_prefix"] = text
    return {"PROMPT_TEMPLATES": templates, "construct_prompt": extra}


def main(repo: str, tags: list[str]) -> None:
    fixture = {}
    for tag in tags:
        commit = subprocess.run(
            ["git", "--git-dir", repo, "rev-parse", f"{tag}^{{commit}}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        source = subprocess.run(
            ["git", "--git-dir", repo, "show", f"{commit}:{PATH}"], check=True, capture_output=True, text=True
        ).stdout
        fixture[tag] = {
            "repo": "inclusionAI/AReaL",
            "path": PATH,
            "commit": commit,
            **_strings(ast.parse(source)),
        }
    OUT.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
