def make_nsp_pairs(documents: list[list[list[int]]], max_length: int, *, generator: torch.Generator | None = None,
                   cls_id: int = CLS_ID, sep_id: int = SEP_ID) -> list[tuple[list[int], list[int], int]]:
    """Next-sentence-prediction examples ``[CLS] A [SEP] B [SEP]`` from tokenised documents.

    For every document and every i in 0 .. len(document) - 2, in order: A = document[i]; with
    probability 1/2, B = document[i + 1] and is_next = 1; otherwise B = a sentence drawn at random
    from a random *other* document and is_next = 0. While len(A) + len(B) + 3 > max_length, the
    last token of the longer of A and B is dropped (of B when they are equally long).

    Args:
        documents: a list of documents; a document is a non-empty list of sentences; a sentence is
            a non-empty list of token ids (ints) without special tokens.
        max_length: the largest number of tokens of an example, special tokens included (>= 5).
        generator: the source of every random draw (None: PyTorch's global generator).
        cls_id, sep_id: the ids of [CLS] and [SEP].

    Returns:
        A list of (input_ids, token_type_ids, is_next): input_ids and token_type_ids are lists of ints
        of the same length (<= max_length), token_type_ids 0 for [CLS] A [SEP] and 1 for B [SEP];
        is_next is the int 1 or 0. ``documents`` is not modified.

    Raises:
        ValueError: if there are fewer than two documents, a document or a sentence is empty, or
            max_length < 5.
    """
    if len(documents) < 2:
        raise ValueError(f"next-sentence prediction needs at least two documents, got {len(documents)}")
    if max_length < 5:
        raise ValueError(f"max_length must leave room for [CLS], [SEP], [SEP] and a token of each sentence, got {max_length}")
    for document in documents:
        if len(document) == 0 or any(len(sentence) == 0 for sentence in document):
            raise ValueError("every document and every sentence must be non-empty")
    examples = []
    for d, document in enumerate(documents):
        for i in range(len(document) - 1):
            a = document[i]
            if torch.rand(1, generator=generator).item() < 0.5:
                b, is_next = document[i + 1], 1
            else:
                other = torch.randint(len(documents) - 1, (1,), generator=generator).item()
                other += other >= d                              # any document but d
                sentences = documents[other]
                b = sentences[torch.randint(len(sentences), (1,), generator=generator).item()]
                is_next = 0
            while len(a) + len(b) + 3 > max_length:
                (a if len(a) > len(b) else b).pop()
            input_ids = [cls_id, *a, sep_id, *b, sep_id]
            token_type_ids = [0] * (len(a) + 2) + [1] * (len(b) + 1)
            examples.append((input_ids, token_type_ids, is_next))
    return examples
