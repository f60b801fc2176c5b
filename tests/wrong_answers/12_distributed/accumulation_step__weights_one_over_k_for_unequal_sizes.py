def accumulation_step(model: nn.Module, optimizer: torch.optim.Optimizer, micro_batches, loss_fn) -> torch.Tensor:
    """One optimiser step from micro-batches."""
    if len(micro_batches) == 0:
        raise ValueError("accumulation_step needs at least one micro-batch")
    k = len(micro_batches)
    optimizer.zero_grad()
    mean_loss = 0.0
    for x, y in micro_batches:
        loss = loss_fn(model(x), y) / k
        loss.backward()
        mean_loss = mean_loss + loss.detach()
    optimizer.step()
    return mean_loss
