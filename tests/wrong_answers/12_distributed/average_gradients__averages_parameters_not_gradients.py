def average_gradients(model: nn.Module) -> None:
    """Average every parameter's gradient over the ranks."""
    world = dist.get_world_size()
    with torch.no_grad():
        for p in model.parameters():
            if not p.requires_grad:
                continue
            dist.all_reduce(p.data, op=dist.ReduceOp.SUM)
            p.data.div_(world)
