"""The helper the launch and pool benchmarks share: one JSON document, a summary per sample."""

import json

from benchmarks.report import run_sizes, summary


def test_run_sizes_prints_one_document_with_each_run_and_the_load(capsys):
    run_sizes([1, 3], {"speed": 2.0}, lambda size: {"instances": size}, lambda run: f"ran {run['instances']}")
    out, err = capsys.readouterr()
    figures = json.loads(out)
    assert figures["speed"] == 2.0 and figures["runs"] == [{"instances": 1}, {"instances": 3}]
    assert set(figures["machine"]) == {"cpus", "load_before", "load_after"}
    assert err.splitlines() == ["ran 1", "ran 3"]


def test_summary_names_its_unit_only_when_given():
    assert summary([1.0, 2.0, 3.0]) == {"p50": 2.0, "p95": 3.0, "max": 3.0}
    assert summary([0.12345], "ms", digits=3) == {"p50_ms": 0.123, "p95_ms": 0.123, "max_ms": 0.123}
