"""Policy resolution: levels, `extends`, profiles (design §2 "resolve", §4 "Policy").

A policy file lists controls and may extend other policies. Resolution walks `extends`
depth-first (parents first, in order), then applies the policy's own controls: a control
whose id already exists replaces the inherited one (this is how a higher level tightens a
parameter), a new id is appended. Cycles and unknown parents are input errors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from secaudit.errors import Diagnostic, InputError
from secaudit.load import build_policy, check_document
from secaudit.model import Control, LocalText, Policy
from secaudit.resources import policies_dir
from secaudit.yamlread import read_yaml_file
from secaudit import plugins
import difflib

POLICY_SUBDIRS = ("levels", "profiles", "families")   # families: the policies of a family's own subjects


@dataclass(frozen=True)
class ResolvedPolicy:
    id: str
    title: LocalText
    controls: tuple[Control, ...]
    chain: tuple[str, ...]                 # the policies merged, base first
    level: int | None = None
    overrides: Mapping[str, str] | None = None   # control id -> policy id that last set it

    def control(self, control_id: str) -> Control:
        for c in self.controls:
            if c.id == control_id:
                return c
        raise KeyError(control_id)


@dataclass(frozen=True)
class PolicyLibrary:
    """Every policy found in the policy directories, by id, with the digest of its file."""

    policies: Mapping[str, Policy]
    digests: Mapping[str, str]

    @classmethod
    def load(cls, dirs: Iterable[Path] | None = None, extra_files: Iterable[str] = ()) -> "PolicyLibrary":
        dirs = list(dirs) if dirs is not None else [policies_dir() / sub for sub in POLICY_SUBDIRS]
        files: list[str] = []
        for d in dirs:
            if d.is_dir():
                files += sorted(str(p) for p in d.glob("*.yaml"))
        files += list(extra_files)
        policies: dict[str, Policy] = {}
        digests: dict[str, str] = {}
        diags: list[Diagnostic] = []
        for f in files:
            doc, problems = read_yaml_file(f)
            if doc is None:
                diags += problems
                continue
            _, more = check_document(doc, "policy")
            if problems or more:
                diags += problems + more
                continue
            policy = build_policy(doc)
            if policy.id in policies:
                diags.append(Diagnostic(f, 1, 1, "policy.duplicate_id", {"id": policy.id,
                                                                         "other": policies[policy.id].source.file}))
                continue
            policies[policy.id] = policy
            digests[policy.id] = doc.digest
        if diags:
            raise InputError(diags)
        return cls(policies, digests)

    def ids(self) -> list[str]:
        return sorted(self.policies)

    def level_policy_id(self, level: int) -> str:
        for p in self.policies.values():
            if p.level == level:
                return p.id
        raise InputError([Diagnostic(str(policies_dir()), 0, 0, "policy.no_level", {"level": level})])

    def resolve(self, policy_id: str) -> ResolvedPolicy:
        if policy_id not in self.policies:
            hint = difflib.get_close_matches(policy_id, list(self.policies), n=1)
            raise InputError([Diagnostic("secaudit", 0, 0, "policy.unknown",
                                         {"id": policy_id, "suggestion": hint[0] if hint else "-",
                                          "known": ", ".join(self.ids())})])
        order: list[str] = []
        self._walk(policy_id, (), order)
        merged: dict[str, Control] = {}
        set_by: dict[str, str] = {}
        for pid in order:
            for control in self.policies[pid].controls:
                merged[control.id] = control      # replaces in place when inherited: keeps the base order
                set_by[control.id] = pid
        top = self.policies[policy_id]
        return ResolvedPolicy(policy_id, top.title, tuple(merged.values()), tuple(order), top.level, set_by)

    def _walk(self, pid: str, trail: tuple[str, ...], order: list[str]) -> None:
        if pid in trail:
            cycle = " → ".join(trail[trail.index(pid):] + (pid,))
            src = self.policies[trail[-1]].source
            raise InputError([Diagnostic(src.file, src.line, src.column, "policy.extends_cycle", {"cycle": cycle})])
        if pid not in self.policies:
            src = self.policies[trail[-1]].source if trail else None
            raise InputError([Diagnostic(src.file if src else "secaudit", 1 if src else 0, 1 if src else 0,
                                         "policy.extends_unknown", {"id": pid})])
        for parent in self.policies[pid].extends:
            self._walk(parent, trail + (pid,), order)
        if pid not in order:
            order.append(pid)

    def resolve_profiles(self, base: ResolvedPolicy, profiles: Iterable[str]) -> ResolvedPolicy:
        """A level policy with profiles added beside it (profile controls override same-id controls)."""
        merged = {c.id: c for c in base.controls}
        chain = list(base.chain)
        for pid in profiles:
            prof = self.resolve(pid)
            for c in prof.controls:
                merged[c.id] = c
            chain += [p for p in prof.chain if p not in chain]
        return ResolvedPolicy(base.id if not profiles else "+".join([base.id, *profiles]), base.title,
                              tuple(merged.values()), tuple(chain), base.level)


def policy_dirs() -> list[Path]:
    """The shipped policy directories, those of the loaded plug-ins, then those of ``SECAUDIT_POLICY_PATH``."""
    extra = [p for p in os.environ.get("SECAUDIT_POLICY_PATH", "").split(os.pathsep) if p]
    return [policies_dir() / sub for sub in POLICY_SUBDIRS] + plugins.policy_dirs() + [Path(p) for p in extra]


def default_library() -> PolicyLibrary:
    return PolicyLibrary.load(policy_dirs())


def is_policy_file(ref: str) -> bool:
    """A ``--profile`` value names a file (``p.yaml``, ``./dir/p``) rather than a policy id."""
    path = Path(ref)
    return path.suffix in (".yaml", ".yml") or os.sep in ref or path.is_file()


def load_library(profile_refs: Sequence[str] = ()) -> tuple[PolicyLibrary, tuple[str, ...]]:
    """The policy library with every profile *file* among ``profile_refs`` added (and the files beside it
    that it extends), and the refs as policy ids. ``--profile`` takes the same values everywhere: an id
    (``mozilla-intermediate``) or a policy YAML file."""
    dirs = policy_dirs()
    files: dict[Path, Path] = {}                      # resolved -> as given
    for ref in profile_refs:
        if is_policy_file(ref):
            path = Path(ref)
            if not path.is_file():
                raise InputError([Diagnostic(ref, 0, 0, "preset.profile_missing", {"profile": ref})])
            if not _in_dirs(path, dirs):
                for f in _with_local_parents(path, dirs):
                    files.setdefault(Path(f).resolve(), Path(f))
    library = PolicyLibrary.load(dirs, extra_files=[str(f) for f in files.values()])
    return library, profile_ids(library, profile_refs)


def profile_ids(library: PolicyLibrary, profile_refs: Sequence[str]) -> tuple[str, ...]:
    """``--profile`` values (ids or files) as the ids of the policies ``library`` holds for them."""
    return tuple(_policy_id(library, ref) for ref in profile_refs)


def _in_dirs(path: Path, dirs: Sequence[Path]) -> bool:
    return any(path.resolve().parent == d.resolve() for d in dirs if d.is_dir())


def _policy_id(library: PolicyLibrary, ref: str) -> str:
    if not is_policy_file(ref):
        return ref
    target = Path(ref).resolve()
    found = [pid for pid, p in library.policies.items() if Path(p.source.file).resolve() == target]
    if not found:
        raise InputError([Diagnostic(ref, 0, 0, "preset.profile_missing", {"profile": ref})])
    return found[0]


def _with_local_parents(path: Path, dirs: Sequence[Path]) -> list[str]:
    """A user's policy file plus the files beside it that it extends by id (``extends: [base]`` -> base.yaml),
    unless a policy directory already provides that id."""
    known = {p.stem for d in dirs if d.is_dir() for p in d.glob("*.yaml")}
    files: list[str] = []
    todo = [path]
    while todo and len(files) < 64:
        f = todo.pop()
        files.append(str(f))
        doc, _ = read_yaml_file(str(f))
        parents = doc.value.get("extends") if doc is not None and isinstance(doc.value, dict) else None
        for pid in parents if isinstance(parents, list) else []:
            sibling = f.parent / f"{pid}.yaml" if isinstance(pid, str) else None
            if sibling is not None and pid not in known and sibling.is_file() and str(sibling) not in files:
                todo.append(sibling)
    return files


def load_profile(ref: str) -> ResolvedPolicy:
    """One profile (an id or a policy file), ``extends`` resolved: what ``--profile ref`` adds to a scan."""
    library, (policy_id,) = load_library([ref])
    return library.resolve(policy_id)
