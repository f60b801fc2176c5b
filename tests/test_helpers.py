"""The helper package: profiles, devices, data, comparisons, the training loop."""
from __future__ import annotations

import pytest
import torch

from transformer_course import data, profiles
from transformer_course.device import get_device, set_seed
from transformer_course.grading import ForbiddenFunctionError, assert_close, expect_error, forbid
from transformer_course.training import cosine_with_warmup, train


def test_profile_is_forced_by_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    assert profiles.current_profile().name == "gpu"
    monkeypatch.setenv("COURSE_PROFILE", "laptop")
    with pytest.raises(ValueError, match="smoke, cpu, gpu"):
        profiles.current_profile()


def test_ci_means_smoke_and_no_gpu_means_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    assert profiles.current_profile().name == "smoke"
    monkeypatch.setenv("CI", "false")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert profiles.current_profile().name == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert profiles.current_profile().name == "gpu"


def test_pick_returns_the_profile_value():
    assert profiles.Profile("cpu", "test").pick(smoke=1, cpu=2, gpu=3) == 2


def test_device_can_be_forced(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            get_device()


def test_seed_repeats_results():
    set_seed(3)
    first = torch.randn(4)
    set_seed(3)
    assert torch.equal(first, torch.randn(4))


def test_shipped_data_is_found_and_missing_data_is_named():
    assert len(data.load_text()) == 1_115_394
    rows = data.load_sentiment()
    assert len(rows) == 3000 and {label for _, label, _ in rows} == {0, 1}
    with pytest.raises(FileNotFoundError, match="no_such_file.txt"):
        data.data_path("no_such_file.txt")


def test_split_is_stable_and_disjoint():
    items = list(range(100))
    train_a, val_a = data.split_train_val(items, 0.2, seed=1)
    train_b, val_b = data.split_train_val(items, 0.2, seed=1)
    assert (train_a, val_a) == (train_b, val_b)
    assert len(val_a) == 20 and not set(train_a) & set(val_a)


def test_assert_close_checks_kind_shape_dtype_and_values():
    expected = torch.tensor([1.0, float("-inf"), 3.0])
    assert_close(expected.clone(), expected)

    class Sneaky(torch.Tensor):
        pass

    with pytest.raises(AssertionError, match="should be a torch.Tensor"):
        assert_close(expected.clone().as_subclass(Sneaky), expected)
    with pytest.raises(AssertionError, match="should be a torch.Tensor"):
        assert_close([1.0, float("-inf"), 3.0], expected)
    with pytest.raises(AssertionError, match="shape"):
        assert_close(expected[:2].clone(), expected)
    with pytest.raises(AssertionError, match="dtype"):
        assert_close(expected.double(), expected)
    with pytest.raises(AssertionError, match="infinities"):
        assert_close(torch.tensor([1.0, 0.0, 3.0]), expected)
    with pytest.raises(AssertionError, match="NaN"):
        assert_close(torch.tensor([1.0, float("nan"), 3.0]), expected)
    with pytest.raises(AssertionError, match="largest error"):
        assert_close(torch.tensor([1.0, float("-inf"), 3.1]), expected)


def test_forbid_blocks_and_restores():
    original = torch.nn.functional.softmax
    with forbid("torch.nn.functional.softmax", "torch.Tensor.softmax"):
        with pytest.raises(ForbiddenFunctionError, match="torch.nn.functional.softmax"):
            torch.nn.functional.softmax(torch.zeros(2), dim=0)
        with pytest.raises(ForbiddenFunctionError):
            torch.zeros(2).softmax(0)
    assert torch.nn.functional.softmax is original
    assert torch.zeros(2).softmax(0).sum() == 1


def test_expect_error_returns_the_error_and_names_what_went_wrong():
    def check_positive(value, *, name="value"):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
        return value

    raised = expect_error(ValueError, check_positive, -1, name="d_model")
    assert isinstance(raised.error, ValueError) and "d_model" in str(raised.error)
    # a passing check displays one short line, not the error (which reads like a failure)
    assert repr(raised) == "ok: ValueError raised as expected"
    assert expect_error(ValueError, check_positive, 0, match=r"positive, got 0")
    with pytest.raises(AssertionError, match="expected ValueError from check_positive, but nothing was raised"):
        expect_error(ValueError, check_positive, 3)
    with pytest.raises(AssertionError, match="expected ValueError from check_positive, got TypeError"):
        expect_error(ValueError, check_positive, "three")
    with pytest.raises(AssertionError, match="should mention 'd_k'"):
        expect_error(ValueError, check_positive, -1, match="d_k")
    with pytest.raises(AssertionError, match="^expected ValueError, but nothing"):
        expect_error(ValueError, lambda: check_positive(2))
    assert expect_error((IndexError, ValueError), check_positive, -2).error.args == ("value must be positive, got -2",)
    with pytest.raises(AssertionError, match="^expected IndexError or ValueError from check_positive, but nothing"):
        expect_error((IndexError, ValueError), check_positive, 2)


def test_schedule_warms_up_then_decays():
    lrs = [cosine_with_warmup(s, warmup_steps=10, total_steps=100, min_ratio=0.1) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] == pytest.approx(0.1, abs=1e-3)


def test_training_loop_reduces_the_loss():
    set_seed(0)
    model = torch.nn.Linear(3, 1)
    target = torch.nn.Linear(3, 1)

    def batches():
        while True:
            x = torch.randn(32, 3)
            yield x, target(x).detach()

    log = train(model, batches(), lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1]),
                torch.optim.SGD(model.parameters(), lr=0.1), steps=60,
                evaluate=lambda: {"weight_error": (model.weight - target.weight).abs().max().item()},
                eval_every=20, desc="test")
    assert log.train_loss[-1] < 0.1 * log.train_loss[0]
    assert log.eval_steps == [20, 40, 60] and log.metric("weight_error")[-1] < 0.1
    with pytest.raises(ValueError):
        train(model, batches(), lambda m, b: m(b[0]).sum(), torch.optim.SGD(model.parameters(), lr=0.1), steps=0)


def test_kernels_start_without_the_unencrypted_tcp_warning(capfd):
    """tools.kernels (called by conftest.py and the book build) gives kernels CurveZMQ keys."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    assert notebook.cells[0].outputs[0]["text"] == "42\n"
    assert "without encryption" not in capfd.readouterr().err
