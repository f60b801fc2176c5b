def save_checkpoint(path, run: TrainingRun) -> None:
    """Save a run."""
    torch.save({"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                "scheduler": run.scheduler.state_dict(), "rng": torch.get_rng_state(),
                "data": (run.data.epoch, run.data.position)}, path)


def load_checkpoint(path, run: TrainingRun) -> None:
    """Restore a run."""
    state = torch.load(path, weights_only=False)
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    run.data.epoch, run.data.position = state["data"]
