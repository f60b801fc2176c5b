def save_checkpoint(path, run: TrainingRun) -> None:
    """Save everything needed to continue `run` exactly into the file `path`."""
    torch.save({
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()},
        "data": {"epoch": run.data.epoch, "position": run.data.position},
    }, path)


def load_checkpoint(path, run: TrainingRun) -> None:
    """Restore a run from a checkpoint."""
    state = torch.load(path, weights_only=False)
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"]["torch"])
    np.random.set_state(state["rng"]["numpy"])
    run.data.epoch, run.data.position = state["data"]["epoch"], state["data"]["position"]
