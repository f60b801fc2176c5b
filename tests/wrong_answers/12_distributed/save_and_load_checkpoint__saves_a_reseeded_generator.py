def save_checkpoint(path, run: TrainingRun) -> None:
    """Save a run."""
    torch.manual_seed(torch.initial_seed())
    random.seed(0)
    np.random.seed(0)
    torch.save({"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                "scheduler": run.scheduler.state_dict(),
                "rng": {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()},
                "data": {"epoch": run.data.epoch, "position": run.data.position}}, path)


def load_checkpoint(path, run: TrainingRun) -> None:
    """Restore a run from a checkpoint."""
    state = torch.load(path, weights_only=False)
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"]["torch"])
    random.setstate(state["rng"]["python"])
    np.random.set_state(state["rng"]["numpy"])
    run.data.epoch, run.data.position = state["data"]["epoch"], state["data"]["position"]
