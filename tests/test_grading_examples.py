"""The cluster examples on the instructor page cannot run here (no Kubernetes, no Slurm): these
tests check that the YAML parses into what the page says (an Indexed Job with per-index
retries, no network egress, CPU and memory limits) and that every grader command in them is a
command the grader's own argument parser accepts."""
from __future__ import annotations

import re
import shlex

import pytest

from autograder.__main__ import build_parser
from conftest import REPO_ROOT

yaml = pytest.importorskip("yaml")
EXAMPLES = REPO_ROOT / "autograder" / "examples"
# Sample values for the variables the examples' commands use; an unknown variable fails the test.
VALUES = {"CHAPTER": "03_attention", "SHARD": "2", "SHARDS": "4", "CLASS": "/scratch/class",
          "SLURM_CPUS_PER_TASK": "4", "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}


def _commands(text: str) -> list[list[str]]:
    """The argument lists of every ``python -m autograder`` line, variables filled in."""
    found = []
    for line in text.splitlines():
        if "-m autograder" not in line or line.lstrip().startswith("#"):
            continue
        line = line.split("||")[0].strip()
        line = re.sub(r"\$\{?(\w+)\}?", lambda match: VALUES[match.group(1)], line)
        words = shlex.split(line)
        found.append(words[words.index("autograder") + 1:])
    return found


def _documents(name: str) -> list[dict]:
    return list(yaml.safe_load_all((EXAMPLES / name).read_text()))


def test_kubernetes_indexed_job_with_retries_limits_and_no_network():
    policy, job = _documents("kubernetes-grade.yaml")
    assert policy["kind"] == "NetworkPolicy" and "Egress" in policy["spec"]["policyTypes"]
    assert policy["spec"]["egress"] == [], "no egress rule: no connection leaves the pod"
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    assert spec["backoffLimitPerIndex"] >= 1 and spec["template"]["spec"]["restartPolicy"] == "Never"
    container = spec["template"]["spec"]["containers"][0]
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
    script = container["args"][0]
    assert "JOB_COMPLETION_INDEX" in script
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["SHARDS"] == str(spec["completions"]), "--shard i/n with n = the number of indexes"
    commands = _commands(script)
    assert [c[2] for c in commands] == ["import", "autograde"]
    for command in commands:
        build_parser().parse_args(command)
    autograde = build_parser().parse_args(commands[1])
    assert autograde.sandbox == "none" and autograde.shard == (2, 4)

    merge = _documents("kubernetes-merge.yaml")[0]["spec"]["template"]["spec"]
    merge_commands = _commands(merge["containers"][0]["args"][0])
    assert [c[2] for c in merge_commands] == ["merge", "export"]
    shards = build_parser().parse_args(merge_commands[0]).shards
    assert len(shards) == spec["completions"], "the merge names every shard folder"
    assert build_parser().parse_args(merge_commands[1]).format == "canvas"


def test_slurm_array_and_merge():
    grade = (EXAMPLES / "slurm-grade.sh").read_text()
    assert re.search(r"^#SBATCH --array=1-\d+$", grade, re.MULTILINE)
    assert re.search(r"^#SBATCH --cpus-per-task=\d+$", grade, re.MULTILINE)
    assert re.search(r"^#SBATCH --mem=\d+G$", grade, re.MULTILINE)
    commands = _commands(grade)
    assert [c[2] for c in commands] == ["import", "autograde"]
    autograde = build_parser().parse_args(commands[1])
    assert autograde.shard == (2, 4) and autograde.sandbox == "bubblewrap"
    merge = _commands((EXAMPLES / "slurm-merge.sh").read_text())
    assert [build_parser().parse_args(c).command for c in merge] == ["merge", "export"]


def test_the_instructor_page_shows_the_examples():
    page = (REPO_ROOT / "book" / "instructors.md").read_text()
    for name in ("kubernetes-grade.yaml", "kubernetes-merge.yaml", "slurm-grade.sh", "slurm-merge.sh"):
        assert f"autograder/examples/{name}" in page
    for line in page.splitlines():
        if line.startswith("python -m autograder ") or line.startswith("$ python -m autograder "):
            words = shlex.split(line.removeprefix("$ ").split("#")[0])
            build_parser().parse_args(words[3:])
