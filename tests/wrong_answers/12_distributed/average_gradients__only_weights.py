def average_gradients(model: nn.Module) -> None:
    """Average every parameter's gradient over the ranks."""
    world = dist.get_world_size()
    for name, p in model.named_parameters():
        if not p.requires_grad or not name.endswith("weight"):
            continue
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad.div_(world)
