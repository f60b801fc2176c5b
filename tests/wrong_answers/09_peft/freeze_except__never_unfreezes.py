def freeze_except(model: nn.Module, rule) -> tuple[int, int]:
    """Make trainable exactly the parameters of ``model`` that ``rule`` selects; freeze the others.

    Args:
        model: any ``nn.Module``.
        rule: a callable taking a parameter's name (as ``model.named_parameters()`` gives it, e.g.
            ``"bert.encoder.layer.0.attention.self.query.bias"``) and returning True to train it.

    Sets ``requires_grad`` to True for every selected parameter and to False for every other one
    (whatever it was before). Returns ``(trainable, total)``: the number of numbers (sum of
    ``numel()``) in the selected parameters and in all parameters, each shared parameter counted
    once (as ``model.named_parameters()`` lists them), buffers not counted. Both are Python ints.

    Raises:
        TypeError: if ``model`` is not an ``nn.Module`` or ``rule`` is not callable.
        ValueError: if the rule selects no parameter at all (there would be nothing to train).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not callable(rule):
        raise TypeError("rule must be a callable taking a parameter name")
    trainable = total = 0
    for name, parameter in model.named_parameters():
        selected = bool(rule(name))
        if not selected:
            parameter.requires_grad_(False)
        total += parameter.numel()
        if selected:
            trainable += parameter.numel()
    if trainable == 0:
        raise ValueError("the rule selects no parameter: there would be nothing to train")
    return trainable, total
