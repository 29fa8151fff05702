"""The GitHub REST API, for the latest release of an upstream project.

The base URL comes from the caller (``GITHUB_API_URL`` as GitHub Actions sets it, or an
option), so tests point it at a local server. ``GITHUB_TOKEN`` is sent when set and never
printed. Each request has a deadline for the whole exchange; server errors, broken-off
answers and connection failures are retried with back-off.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kstasks.core import errors, output
from kstasks.core.semver import ReleaseVersion, parse_release_version
from kstasks.remote import network
from kstasks.remote.registry import is_loopback

DEFAULT_API = "https://api.github.com"


def api_base(option: str | None = None) -> str:
    """``option``, else ``GITHUB_API_URL``, else the public API; exit 2 if it is not an http(s) URL."""
    base = (option or os.environ.get("GITHUB_API_URL") or DEFAULT_API).strip().rstrip("/")
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise errors.BadInput(
            f"the GitHub API URL {base!r} is not an http(s) URL",
            "Fix --api-url or GITHUB_API_URL (e.g. https://api.github.com).",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise errors.BadInput(
            f"the GitHub API URL {base!r} is plain HTTP to another machine (a token would travel in clear)",
            "Use https:// (plain HTTP is accepted only for this machine's loopback addresses).",
        )
    return base


@dataclass
class Retry:
    """How often and how patiently to retry."""

    attempts: int = 4
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        output.add_secret(token)
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _rate_limited(answer: network.Answer) -> bool:
    return answer.status == 429 or (
        answer.status == 403
        and (answer.header("X-RateLimit-Remaining") == "0" or bool(answer.header("Retry-After")))
    )


def _reset_time(answer: network.Answer) -> str:
    reset = answer.header("X-RateLimit-Reset")
    if reset.isdigit():
        return dt.datetime.fromtimestamp(int(reset), dt.timezone.utc).strftime("%H:%M UTC")
    if answer.header("Retry-After"):
        return f"in {answer.header('Retry-After')}s"
    return "later"


def _rate_limit_error(answer: network.Answer) -> errors.KstasksError:
    if os.environ.get("GITHUB_TOKEN"):
        todo = "GITHUB_TOKEN is set: its own limit is used up. Wait, or pass --version to skip the lookup."
    else:
        todo = "Wait, or set GITHUB_TOKEN to raise the limit; or pass --version to skip the lookup."
    return errors.BadInput(f"the GitHub API rate limit is reached (it resets {_reset_time(answer)})", todo)


def _decode(answer: network.Answer) -> Any:
    """The JSON of a successful answer; exit 2 when it is not JSON (not a GitHub API)."""
    try:
        return json.loads(answer.body)
    except ValueError:
        kind = "HTML" if answer.body.lstrip()[:1] == b"<" else "something that is not JSON"
        raise errors.BadInput(
            f"{answer.url} answered with {kind}, not the GitHub API's JSON",
            "Check GITHUB_API_URL or --api-url (a proxy or captive portal may be in the way), "
            "or pass --version to skip the lookup.",
        ) from None


def get_json(url: str, *, retry: Retry | None = None, timeout: float = 10.0) -> Any:
    """GET ``url`` from the GitHub API and decode it, each attempt bounded by ``timeout`` seconds.

    Server errors, broken-off answers and connection failures are retried with back-off; a
    server that takes longer than ``timeout`` is not asked again.
    """
    policy = retry or Retry()
    last_problem = ""
    unreachable = False
    for attempt in range(policy.attempts):
        if attempt:
            delay = policy.backoff * 2 ** (attempt - 1)
            output.say(f"github: {last_problem}; retrying in {delay:.1f}s ({attempt + 1}/{policy.attempts})")
            policy.sleep(delay)
        try:
            answer = network.request("GET", url, headers=_headers(), deadline=timeout)
        except network.DeadlineExceeded:
            raise errors.StepFailed(
                f"the GitHub API at {url.split('/repos/')[0]} gave no complete answer within {timeout:g}s",
                "It is stuck or too slow; try again later, or pass --version to skip the lookup.",
            ) from None
        except network.Malformed as err:
            raise errors.BadInput(
                f"{url.split('/repos/')[0]} is not a GitHub API ({err.problem})",
                "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
            ) from None
        except network.Truncated as err:
            last_problem, unreachable = err.problem, False
            continue
        except network.Unreachable as err:
            last_problem, unreachable = f"{err.problem.split(':')[0]} talking to {url}", True
            continue
        if answer.status >= 500:
            last_problem, unreachable = f"HTTP {answer.status} from {url}", False
            continue
        if _rate_limited(answer):
            raise _rate_limit_error(answer)
        if answer.status in (401, 403):
            raise errors.BadInput(
                f"the GitHub API refused {url} (HTTP {answer.status})",
                "Check GITHUB_TOKEN, or pass --version to skip the lookup.",
            )
        if answer.status == 404:
            raise errors.StepFailed(f"the GitHub API has nothing at {url}", "Check the repository name.")
        if answer.status >= 400:
            raise errors.StepFailed(
                f"the GitHub API answered HTTP {answer.status} for {url}", "Try again later."
            )
        return _decode(answer)
    if not unreachable:
        raise errors.StepFailed(
            f"the GitHub API kept failing ({last_problem}) after {policy.attempts} attempts",
            "Try again later, or pass --version to skip the lookup.",
        )
    raise errors.BadInput(
        f"the GitHub API at {url.split('/repos/')[0]} is unreachable ({last_problem}); are you offline?",
        "Check the network (or GITHUB_API_URL), or pass --version to skip the lookup.",
    )


def latest_release(repo: str, *, api: str, retry: Retry | None = None) -> ReleaseVersion:
    """The latest stable release of ``owner/name`` (drafts and pre-releases never count)."""
    release = get_json(f"{api}/repos/{repo}/releases/latest", retry=retry)
    if not isinstance(release, dict):
        raise errors.BadInput(
            f"the GitHub API at {api} answered the latest release of {repo} with {type(release).__name__}",
            "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
        )
    if release.get("draft") or release.get("prerelease"):
        raise errors.StepFailed(
            f"GitHub reported a {'draft' if release.get('draft') else 'pre-release'} as the latest release "
            f"of {repo} ({release.get('tag_name')})",
            "Pass --version explicitly.",
        )
    tag = str(release.get("tag_name") or "")
    return parse_release_version(tag, what=f"latest release tag of {repo}")
