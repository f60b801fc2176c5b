"""transformer_course.bert: the tokenizer, the sentiment splits, the small BERT and the fine-tuning loop
that chapters 08 and 09 share."""
from __future__ import annotations

import pytest
import torch

from transformer_course import bert
from transformer_course.data import SENTIMENT_SOURCES, load_sentiment

TEXTS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the mat and the log"] * 5


@pytest.fixture(scope="module")
def tokenizer():
    return bert.train_wordpiece(TEXTS, vocab_size=80, min_frequency=1)


def test_wordpiece_has_berts_special_tokens_first(tokenizer):
    assert [tokenizer.token_to_id(t) for t in bert.SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    pair = tokenizer.encode("the cat", "a dog")
    assert pair.ids[0] == bert.CLS_ID and pair.ids.count(bert.SEP_ID) == 2 and pair.ids[-1] == bert.SEP_ID
    first_sep = pair.ids.index(bert.SEP_ID)
    assert pair.type_ids == [0] * (first_sep + 1) + [1] * (len(pair.ids) - first_sep - 1)
    assert tokenizer.decode(tokenizer.encode("The Cat").ids) == "the cat"  # lower-cased, pieces joined


def test_wordpiece_rejects_a_vocabulary_without_room():
    with pytest.raises(ValueError, match="vocab_size"):
        bert.train_wordpiece(TEXTS, vocab_size=5)


def test_encode_sentences_pads_truncates_and_masks(tokenizer):
    ids, mask = bert.encode_sentences(tokenizer, ["the cat sat on the mat", "dog"], max_length=5)
    assert ids.dtype == mask.dtype == torch.long and ids.shape == mask.shape == (2, 5)
    assert ids[0, 0] == bert.CLS_ID and ids[0, -1] == bert.SEP_ID   # truncated, [SEP] kept
    assert mask[1].tolist() == [1, 1, 1, 0, 0] and ids[1, 3:].tolist() == [bert.PAD_ID] * 2
    with pytest.raises(ValueError, match="at least one"):
        bert.encode_sentences(tokenizer, [])
    with pytest.raises(ValueError, match="max_length"):
        bert.encode_sentences(tokenizer, ["cat"], max_length=2)


def test_shakespeare_documents_drop_the_speaker_lines():
    documents = bert.shakespeare_documents("First Citizen:\nBefore we proceed,\nhear me speak.\n\nAll:\nSpeak, speak.\n")
    assert documents == [["Before we proceed,", "hear me speak."], ["Speak, speak."]]


def test_sentiment_splits_are_disjoint_stratified_and_repeatable():
    task = bert.sentiment_task(seed=3)
    unique = {row[0].lower() for row in load_sentiment()}  # 2,979 of 3,000: a few reviews repeat
    assert (len(task.train), len(task.val), len(task.test)) == (2084, 299, 596)
    keys = [{row[0].lower() for row in split.rows} for split in (task.train, task.val, task.test)]
    assert not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2]), "a sentence in two splits"
    assert sum(map(len, keys)) == len(unique) == 2979
    for source in SENTIMENT_SOURCES:
        for label in (0, 1):
            share = sum(row[2] == source and row[1] == label for row in task.test.rows) / len(task.test)
            assert abs(share - 1 / 6) < 0.005, f"{source}, label {label}: {share:.3f} of the test split"
    assert bert.sentiment_task(seed=3).test.rows == task.test.rows
    assert bert.sentiment_task(seed=4).test.rows != task.test.rows


def test_domain_shift_tests_on_the_held_out_source_only():
    task = bert.sentiment_task(test_sources=["yelp"])
    assert {row[2] for row in task.test.rows} == {"yelp"} and len(task.test) == 996  # 4 repeats dropped
    assert {row[2] for row in task.train.rows + task.val.rows} == {"amazon_cells", "imdb"}
    for bad in ([], ["twitter"], list(SENTIMENT_SOURCES)):
        with pytest.raises(ValueError, match="test_sources"):
            bert.sentiment_task(test_sources=bad)


def test_subsets_are_balanced_and_seeded():
    train = bert.sentiment_task().train
    subset = train.subset(51, seed=1)
    assert len(subset) == 51 and subset.labels.sum().item() == 26
    assert set(subset.rows) <= set(train.rows)
    assert train.subset(51, seed=1).rows == subset.rows and train.subset(51, seed=2).rows != subset.rows
    with pytest.raises(ValueError, match="subset"):
        train.subset(1)


class _BagOfTokens(torch.nn.Module):
    """A tiny classifier: mean of the token embeddings of the unpadded positions."""

    def __init__(self, vocab_size: int):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, 8)
        self.out = torch.nn.Linear(8, 2)

    def forward(self, ids, attention_mask):
        weights = attention_mask.unsqueeze(-1).float()
        return self.out((self.embed(ids) * weights).sum(1) / weights.sum(1))


def _toy_task(tokenizer):
    # Label 1 exactly when the sentence mentions a cat: a bag of tokens learns it.
    sentences = ["the cat sat", "a dog sat", "the cat and the mat", "the dog on the log", "cat", "dog"] * 8
    ids, mask = bert.encode_sentences(tokenizer, sentences)
    labels = torch.tensor([int("cat" in s) for s in sentences])
    return ids, mask, labels


def test_fine_tune_learns_a_toy_task_and_keeps_the_best_epoch(tokenizer):
    torch.manual_seed(0)
    model = _BagOfTokens(tokenizer.get_vocab_size())
    data = _toy_task(tokenizer)
    steps = []
    result = bert.fine_tune(model, data, data, epochs=30, lr=0.05, batch_size=8, progress=False,
                            regulariser=lambda: torch.zeros(()), after_step=steps.append)
    assert max(result.val_accuracy) == 1.0 and bert.accuracy(model, *data) == 1.0
    assert result.val_accuracy[result.best_epoch] == max(result.val_accuracy)
    assert result.steps == len(steps) == 6 * len(result.val_accuracy) and steps == list(range(result.steps))
    assert result.trainable_parameters == sum(p.numel() for p in model.parameters())


def test_fine_tune_stops_early_and_checks_its_input(tokenizer):
    data = _toy_task(tokenizer)
    model = _BagOfTokens(tokenizer.get_vocab_size())
    result = bert.fine_tune(model, data, data, epochs=50, lr=0.0, patience=2, progress=False)
    assert len(result.val_accuracy) == 3  # no change after the first epoch: two more, then stop
    with pytest.raises(ValueError, match="do not match"):
        bert.fine_tune(model, (data[0], data[1][:, :2], data[2]), data, progress=False)
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable"):
        bert.fine_tune(model, data, data, progress=False)


def test_the_small_bert_loads_offline_with_its_tokenizer():
    config = bert.small_bert_config()
    tokenizer = bert.load_small_bert_tokenizer()
    assert tokenizer.get_vocab_size() == config.vocab_size
    assert [tokenizer.token_to_id(t) for t in bert.SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    classifier = bert.load_small_bert("classifier", num_labels=2).eval()
    ids, mask = bert.encode_sentences(tokenizer, ["A fine film.", "Awful."])
    assert classifier(ids, attention_mask=mask).logits.shape == (2, 2)
    masked_lm = bert.load_small_bert("masked-lm")
    assert torch.equal(masked_lm.bert.embeddings.word_embeddings.weight,
                       classifier.bert.embeddings.word_embeddings.weight)  # the same checkpoint
    assert bert.pretraining_record()["steps"] > 0
    with pytest.raises(ValueError, match="kind"):
        bert.load_small_bert("seq2seq")


def test_a_missing_checkpoint_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="small-bert/config.json"):
        bert.load_small_bert()
