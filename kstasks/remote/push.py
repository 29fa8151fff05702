"""Pushing artifacts whole, once, or not at all.

Every push uploads blobs and manifests by digest first and writes tags last, each tag checked
just before and read back just after it is written. A tag that already holds exactly the digest
being pushed counts as published ("already published, identical"), so an interrupted publish is
completed by running it again; a tag holding anything else is refused, and a tag that someone
else overwrites during the run fails it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from kstasks.core import errors, output, signals
from kstasks.remote.registry import Registry, digest_of

SETTLE_SECONDS = 0.5
"""How long a tag this run wrote must keep its digest before the next tag is written.

A racing run that checked the tag just before our write overwrites it within about one round
trip; seeing that, this run stops before writing another tag, so the other run's set is the one
published whole."""


@dataclass(frozen=True)
class Artifact:
    """One thing to publish: blobs, manifests by digest (the tagged one last), and its tag."""

    label: str
    """How it is named to people: ``HOST/PATH/NAME:TAG``."""
    repository: str
    tag: str
    blobs: tuple[Callable[[], bytes], ...]
    manifests: tuple[tuple[bytes, str], ...]
    """``(bytes, media type)`` of every manifest, children first; the last one gets the tag."""

    @property
    def digest(self) -> str:
        """The digest the tag must hold."""
        return digest_of(self.manifests[-1][0])


@dataclass(frozen=True)
class Outcome:
    """A published artifact: its digest as read back, and whether it was there already."""

    artifact: Artifact
    digest: str
    identical: bool
    certain: bool = True
    """False when the tag's write was sent but its answer never came."""


def _public(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "No tag of this run is public."
    named = [
        f"{o.artifact.label}@{o.digest}{'' if o.certain else ' (perhaps: no answer to its write)'}"
        for o in outcomes
    ]
    return "Already public: " + ", ".join(named) + "."


def _foreign(artifact: Artifact, found: str, outcomes: list[Outcome]) -> errors.KstasksError:
    return errors.StepFailed(
        f"{artifact.label} now holds {found}, someone else's digest (this run pushes {artifact.digest})",
        f"A published release is immutable; find out who else publishes it. {_public(outcomes)}",
    )


@contextmanager
def _naming_public(outcomes: list[Outcome]) -> Iterator[None]:
    """On any failure, say which artifacts of this run are already public."""
    try:
        yield
    except errors.KstasksError as err:
        if "Already public" in err.hint or "No tag of this run" in err.hint:
            raise
        raise err.with_hint(_public(outcomes)) from err
    except KeyboardInterrupt as interrupt:
        if isinstance(interrupt, signals.Interrupted):
            interrupt.detail = _public(outcomes)  # said on the one "interrupted" line
        else:
            output.say(f"interrupted. {_public(outcomes)}")
        raise


def upload(registry: Registry, artifact: Artifact) -> None:
    """Blobs, then every manifest by its digest: nothing a tag points at yet.

    A write that fails while another run stores the same bytes (the registry may answer 400
    or 500 then) counts as done when the registry then holds them; otherwise it is retried once.
    """
    for load in artifact.blobs:
        registry.push_blob(artifact.repository, load())
    for data, media_type in artifact.manifests:
        digest = digest_of(data)
        try:
            registry.put_manifest(artifact.repository, digest, data, media_type)
        except errors.KstasksError:
            if registry.resolve(artifact.repository, digest) == digest:
                continue
            time.sleep(0.2)
            for load in artifact.blobs:
                registry.push_blob(artifact.repository, load())
            registry.put_manifest(artifact.repository, digest, data, media_type)


def _put_tag(registry: Registry, artifact: Artifact) -> None:
    """Write the tag; a failed write after which the tag holds our digest anyway counts as done."""
    data, media_type = artifact.manifests[-1]
    try:
        registry.put_manifest(artifact.repository, artifact.tag, data, media_type)
    except errors.KstasksError:
        if registry.resolve(artifact.repository, artifact.tag) != artifact.digest:
            raise


def _write_tag(registry: Registry, artifact: Artifact, outcomes: list[Outcome], *, force: bool) -> None:
    """Check, write and read back one tag; recorded in ``outcomes`` as soon as it is public."""
    if not force:
        found = registry.resolve(artifact.repository, artifact.tag)
        if found == artifact.digest:
            outcomes.append(Outcome(artifact, found, True))
            return
        if found is not None:
            raise _foreign(artifact, found, outcomes)
    outcomes.append(Outcome(artifact, artifact.digest, False, certain=False))
    _put_tag(registry, artifact)
    outcomes[-1] = Outcome(artifact, artifact.digest, False)
    _verify(registry, artifact, outcomes)


def _verify(registry: Registry, artifact: Artifact, outcomes: list[Outcome]) -> None:
    """Exit 1 unless the tag of ``artifact`` holds its digest (computed from the bytes read back)."""
    found = registry.resolve(artifact.repository, artifact.tag)
    if found != artifact.digest:
        others = [outcome for outcome in outcomes if outcome.artifact != artifact]
        raise _foreign(artifact, str(found or "nothing"), others)


def publish_artifacts(
    registry: Registry,
    artifacts: list[Artifact],
    *,
    force: bool = False,
    settle: float = SETTLE_SECONDS,
    what: str = "artifact",
) -> list[Outcome]:
    """Publish ``artifacts`` (tags in the given order); exit 1 if a tag holds another digest.

    With ``force`` a tag holding something else is overwritten; the result is still read back.
    """
    found = {a.label: registry.resolve(a.repository, a.tag) for a in artifacts}
    identical = [a for a in artifacts if found[a.label] == a.digest]
    taken = [a for a in artifacts if found[a.label] not in (None, a.digest)]
    if taken and not force:
        already = [Outcome(a, a.digest, True) for a in identical]
        raise errors.StepFailed(
            "already published: "
            + ", ".join(
                f"{a.label} holds {found[a.label]}, someone else's digest (this run pushes {a.digest})"
                for a in taken
            ),
            f"A published {what} is immutable: nothing was pushed. Pass --force to overwrite. "
            + _public(already),
        )
    outcomes: list[Outcome] = []
    todo = [a for a in artifacts if a not in identical]
    with _naming_public(outcomes):
        for artifact in todo:
            with output.step(f"upload {artifact.label} by digest"):
                upload(registry, artifact)
        outcomes.extend(Outcome(a, a.digest, True) for a in identical)
        for artifact in todo:
            with output.step(f"tag {artifact.label}"):
                _write_tag(registry, artifact, outcomes, force=force)
                if not outcomes[-1].identical and settle:
                    time.sleep(settle)  # a racing run's write lands now, before our next tag
                    _verify(registry, artifact, outcomes)
        for outcome in outcomes:
            _verify(registry, outcome.artifact, outcomes)
    for outcome in outcomes:
        if outcome.identical:
            output.say(f"already published, identical: {outcome.artifact.label}@{outcome.digest}")
    return outcomes
