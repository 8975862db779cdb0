"""Can a script fragment sit in a not-taken IF branch of a witness v0 script without ever failing it?

Bitcoin Core's EvalScript reads every opcode, executed or not. In a not-taken branch it still fails on: a
push it cannot read (truncated) or larger than 520 bytes, a disabled opcode (OP_CAT ... CVE-2010-5137),
OP_VERIF/OP_VERNOTIF (they sit between OP_IF and OP_ENDIF, so they are always "executed", and are bad
opcodes), and the 201-opcode limit (counted over skipped opcodes too). OP_IF/OP_NOTIF/OP_ELSE/OP_ENDIF
are always processed, so the fragment's own conditionals decide whether the branch really stays skipped:
an OP_ELSE or OP_ENDIF at the fragment's top level would flip or close the enclosing branch and run what
follows. Everything else (OP_RETURN, OP_VER, non-minimal pushes, upgradable NOPs) only matters when run.
"""

from __future__ import annotations

from .codec import MAX_ELEMENT

OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4 = 0x4C, 0x4D, 0x4E
OP_16 = 0x60
OP_IF, OP_NOTIF, OP_VERIF, OP_VERNOTIF, OP_ELSE, OP_ENDIF = 0x63, 0x64, 0x65, 0x66, 0x67, 0x68
FIRST_UNDEFINED = 0xBA  # OP_CHECKSIGADD and above: harmless when skipped, but no miniscript needs them
DISABLED = frozenset({0x7E, 0x7F, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x8D, 0x8E, 0x95, 0x96, 0x97, 0x98, 0x99})
_PUSH_WIDTH = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}


class NotSkippable(ValueError):
    """The fragment could fail the script, or leave the enclosing branch, even where it is not executed."""


def _push_end(fragment: bytes, pos: int, op: int) -> int:
    """Position just past the data of the push opcode `op` read at pos - 1."""
    width = _PUSH_WIDTH.get(op, 0)
    if pos + width > len(fragment):
        raise NotSkippable("truncated push")
    size = int.from_bytes(fragment[pos : pos + width], "little") if width else op
    pos += width
    if size > MAX_ELEMENT:
        raise NotSkippable("push larger than 520 bytes")
    if pos + size > len(fragment):
        raise NotSkippable("truncated push")
    return pos + size


def skipped_op_count(fragment: bytes) -> int:
    """How many opcodes (above OP_16) the fragment adds to the 201 limit when it sits in a not-taken branch.

    NotSkippable unless every IF/NOTIF in it closes with its own ENDIF, OP_ELSE appears only inside such a
    pair, and none of the always-failing opcodes above appears: then, from the enclosing false branch's
    point of view, the fragment is a run of opcodes that are read and skipped, ending where it began.
    """
    depth = ops = pos = 0
    while pos < len(fragment):
        op = fragment[pos]
        pos += 1
        if 0 < op <= OP_PUSHDATA4:
            pos = _push_end(fragment, pos, op)
            continue
        if op > OP_16:
            ops += 1
        if op in (OP_IF, OP_NOTIF):
            depth += 1
        elif op in (OP_ELSE, OP_ENDIF) and depth == 0:
            raise NotSkippable("OP_ELSE or OP_ENDIF outside the fragment's own IF: it would run the rest")
        elif op == OP_ENDIF:
            depth -= 1
        elif op in (OP_VERIF, OP_VERNOTIF) or op in DISABLED:
            raise NotSkippable(f"opcode 0x{op:02x} fails the script even when not executed")
        elif op >= FIRST_UNDEFINED:
            raise NotSkippable(f"undefined opcode 0x{op:02x}")
    if depth:
        raise NotSkippable("OP_IF without its OP_ENDIF")
    return ops
