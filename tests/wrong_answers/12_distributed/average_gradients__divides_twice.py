def average_gradients(model: nn.Module) -> None:
    """Average every parameter's gradient over the ranks."""
    world = dist.get_world_size()
    for p in model.parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        p.grad.div_(world)                      # the losses are means already ...
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad.div_(world)                      # ... and divided again
