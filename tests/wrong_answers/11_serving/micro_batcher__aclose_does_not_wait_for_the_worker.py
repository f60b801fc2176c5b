import asyncio
import collections

import torch


class MicroBatcher:
    """Collect concurrent requests into batches: one ``model_fn`` call per batch (dynamic batching).

    ``model_fn(ids, mask)`` is a plain (synchronous) function. ``ids`` is an int64 tensor of shape
    (B, T), each request's token ids followed by ``pad_id`` up to T, the length of the longest
    request of the batch (right padding); ``mask`` is an int64 tensor of shape (B, T), 1 on the real
    tokens and 0 on the padding. It returns a tensor whose first dimension is B, or a list of B
    items: item ``i`` is the result of the batch's ``i``-th row.

    A batch is sent as soon as ``max_batch_size`` requests wait, or when ``max_wait_s`` seconds have
    passed since its *first* request arrived, whichever comes first; a lone request therefore waits
    at most ``max_wait_s``. Each ``model_fn`` call runs in a worker thread (``asyncio.to_thread``), so
    that the event loop keeps accepting requests while the model computes.

    Args:
        model_fn: ``model_fn(ids, mask) -> tensor (B, ...) or list of B items``.
        max_batch_size: the most requests in one call of ``model_fn`` (an int >= 1).
        max_wait_s: the longest the first request of a batch waits for company (>= 0 seconds).
        pad_id: the token id written into the padding positions of ``ids``.

    Raises:
        ValueError: if ``max_batch_size`` is not an int >= 1 or ``max_wait_s`` is negative.
    """

    def __init__(self, model_fn, *, max_batch_size: int = 8, max_wait_s: float = 0.005, pad_id: int = 0):
        if not isinstance(max_batch_size, int) or max_batch_size < 1:
            raise ValueError(f"max_batch_size must be an int >= 1, got {max_batch_size!r}")
        if max_wait_s < 0:
            raise ValueError(f"max_wait_s must be >= 0 seconds, got {max_wait_s!r}")
        self.model_fn, self.pad_id = model_fn, pad_id
        self.max_batch_size, self.max_wait_s = max_batch_size, max_wait_s
        self.waiting = collections.deque()     # (token ids, future, arrival time), oldest first
        self.wakeup = None                     # an asyncio.Event, made on the running loop
        self.worker = None                     # the task that forms and runs the batches
        self.closing = False

    async def submit(self, token_ids: list[int]):
        """Queue one request and wait for its own result: its row of ``model_fn``'s output.

        Args:
            token_ids: a non-empty list of token ids (Python ints >= 0).

        Returns:
            item ``i`` of ``model_fn``'s output, ``i`` being this request's row in its batch.

        Raises:
            ValueError: at once, if ``token_ids`` is not a non-empty list of ints >= 0; such a request
                never reaches ``model_fn`` and the other requests are not affected.
            RuntimeError: if the batcher is closed (``aclose`` was called).
            Exception: whatever ``model_fn`` raised for this request. When a batch fails, its
                requests are run again one at a time, so that only the bad request fails.

        A caller that is cancelled while it waits gets nothing; the batcher goes on serving the others.
        """
        if self.closing:
            raise RuntimeError("this MicroBatcher was closed and takes no more requests")
        if not isinstance(token_ids, list) or len(token_ids) == 0:
            raise ValueError("a request must be a non-empty list of token ids")
        for token in token_ids:
            if not isinstance(token, int) or token < 0:
                raise ValueError(f"token ids must be ints >= 0, got {token!r}")
        loop = asyncio.get_running_loop()
        if self.worker is None:
            self.wakeup = asyncio.Event()
            self.worker = loop.create_task(self._work())
        future = loop.create_future()
        self.waiting.append((list(token_ids), future, loop.time()))
        self.wakeup.set()
        return await future

    async def aclose(self) -> None:
        """Stop taking requests, run every request already queued at once (without waiting for
        ``max_wait_s``), and return when they all have their results and the worker has stopped."""
        self.closing = True
        if self.worker is not None:
            self.wakeup.set()

    # Add the helper methods you need below (a suggested split: one coroutine that forms batches
    # in a loop, one that runs a batch and hands out its rows). They are yours to design.
    async def _work(self):
        """The worker: forms a batch from the waiting requests, runs it, and starts again."""
        loop = asyncio.get_running_loop()
        while self.waiting or not self.closing:
            if not self.waiting:
                self.wakeup.clear()
                await self.wakeup.wait()
                continue
            deadline = self.waiting[0][2] + self.max_wait_s
            while len(self.waiting) < self.max_batch_size and not self.closing:
                left = deadline - loop.time()
                if left <= 0:
                    break
                self.wakeup.clear()
                try:
                    await asyncio.wait_for(self.wakeup.wait(), left)
                except asyncio.TimeoutError:
                    break
            size = min(len(self.waiting), self.max_batch_size)
            await self._run([self.waiting.popleft() for _ in range(size)])

    async def _run(self, batch):
        """Runs one batch and gives each request its own row (or its own exception)."""
        batch = [request for request in batch if not request[1].done()]    # callers that gave up
        if not batch:
            return
        longest = max(len(tokens) for tokens, _, _ in batch)
        ids = torch.full((len(batch), longest), self.pad_id, dtype=torch.long)
        mask = torch.zeros(len(batch), longest, dtype=torch.long)
        for row, (tokens, _, _) in enumerate(batch):
            ids[row, :len(tokens)] = torch.tensor(tokens)
            mask[row, :len(tokens)] = 1
        try:
            output = await asyncio.to_thread(self.model_fn, ids, mask)
            if len(output) != len(batch):
                raise RuntimeError(f"model_fn returned {len(output)} rows for a batch of {len(batch)}")
        except Exception as error:
            if len(batch) > 1:                 # find the bad request: each one alone
                for request in batch:
                    await self._run([request])
            elif not batch[0][1].done():
                batch[0][1].set_exception(error)
            return
        for row, (_, future, _) in enumerate(batch):
            if not future.done():
                future.set_result(output[row])
