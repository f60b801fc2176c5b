def budget_schedule(step: int, init_budget: int, target_budget: int, tinit: int, tfinal: int, total_step: int) -> int:
    """AdaLoRA's cubic rank budget at ``step`` (the formula above), as a Python int.

    Raises:
        ValueError: if ``target_budget > init_budget``, a budget or ``tinit``/``tfinal`` is negative, or
            ``tinit + tfinal >= total_step`` (no steps left to shrink the budget in).
    """
    if step <= tinit:
        return int(init_budget)
    if step > total_step - tfinal:
        return int(target_budget)
    remaining = 1 - (step - tinit) / (total_step - tfinal - tinit)
    return int((init_budget - target_budget) * remaining ** 3 + target_budget)
