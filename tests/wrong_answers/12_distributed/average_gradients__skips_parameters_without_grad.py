def average_gradients(model: nn.Module) -> None:
    """Average every parameter's gradient over the ranks."""
    world = dist.get_world_size()
    for p in model.parameters():
        if p.grad is None:
            continue
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad.div_(world)
