"""Start notebook kernels with an encrypted transport.

Every kernel started over TCP without keys makes ipykernel (7.x) log "Kernel is running over TCP
without encryption" to the kernel's stderr, once per notebook run: in the book build, in nbval and
in the grading tests. The cure the warning names is CurveZMQ keys provisioned by the kernel
manager. jupyter_client (8.8 and later) does that when ``KernelManager.transport_encryption`` is
``"auto"`` and the kernel spec declares ``"supported_encryption": ["curve"]`` (ipykernel's own
spec does); its default is ``"disabled"``.

:func:`encrypt_kernel_transport` makes ``"auto"`` the default for every kernel manager this
process creates afterwards, including those that nbval and nbclient create without a config.
The root ``conftest.py`` (pytest, nbval) and ``tools/build_book.py`` call it. It changes nothing
where pyzmq lacks CurveZMQ or jupyter_client predates the setting.
"""
from __future__ import annotations


def encrypt_kernel_transport() -> bool:
    """Make kernel managers provision CurveZMQ keys by default; True if that is now the case."""
    import zmq
    from jupyter_client.manager import KernelManager

    trait = KernelManager.class_traits().get("transport_encryption")
    if trait is None or not zmq.has("curve"):
        return False
    trait.default_value = "auto"
    return True
