def bitfit_rule(name: str) -> bool:
    """BitFit's selection rule for the parameter names of a ``BertForSequenceClassification``.

    True when the parameter's own name (after the last ``.``) is ``bias``, e.g.
    ``bert.encoder.layer.0.output.LayerNorm.bias``, or when the name starts with ``classifier.``
    (the new head: its weight and bias). False for everything else, including LayerNorm weights,
    the pooler's weight and names that merely contain "bias" (``"bias_scale"``).
    """
    return name.endswith(".bias") or name == "bias"
