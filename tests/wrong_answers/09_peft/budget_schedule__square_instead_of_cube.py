def budget_schedule(step: int, init_budget: int, target_budget: int, tinit: int, tfinal: int, total_step: int) -> int:
    """AdaLoRA's cubic rank budget at ``step`` (the formula above), as a Python int.

    Raises:
        ValueError: if ``target_budget > init_budget``, a budget or ``tinit``/``tfinal`` is negative, or
            ``tinit + tfinal >= total_step`` (no steps left to shrink the budget in).
    """
    if target_budget > init_budget or target_budget < 0 or tinit < 0 or tfinal < 0:
        raise ValueError("need 0 <= target_budget <= init_budget and non-negative tinit and tfinal")
    if tinit + tfinal >= total_step:
        raise ValueError(f"tinit + tfinal = {tinit + tfinal} leaves no step of {total_step} to shrink the budget")
    if step <= tinit:
        return int(init_budget)
    if step > total_step - tfinal:
        return int(target_budget)
    remaining = 1 - (step - tinit) / (total_step - tfinal - tinit)
    return int((init_budget - target_budget) * remaining ** 2 + target_budget)
