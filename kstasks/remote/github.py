"""The GitHub REST API, for the latest release of an upstream project.

The base URL comes from the caller (``GITHUB_API_URL`` as GitHub Actions sets it, or an
option), so tests point it at a local server. ``GITHUB_TOKEN`` is sent when set and never
printed (and refused, exit 2, if it holds a newline or other control character). One lookup
(every attempt, redirect and back-off of it) has one deadline, ``KSTASKS_NETWORK_DEADLINE``;
server errors, broken-off answers and connection failures are retried with back-off while it
lasts, a server that let it pass is not asked again. Redirects are followed on the API's own
origin only (a renamed repository answers 301).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from kstasks.core import errors, output
from kstasks.core.semver import ReleaseVersion, parse_release_version
from kstasks.remote import auth, network

DEFAULT_API = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"
MAX_REDIRECTS = 5


def api_base(option: str | None = None) -> str:
    """``option``, else ``GITHUB_API_URL``, else the public API; exit 2 if it is not an http(s) URL."""
    return checked_api_url(
        option or os.environ.get("GITHUB_API_URL") or DEFAULT_API,
        "Fix --api-url or GITHUB_API_URL (e.g. https://api.github.com).",
    )


def checked_api_url(url: str, fix: str) -> str:
    """``url`` without a trailing slash; exit 2 (``fix`` the hint) unless it is https, or http to
    a loopback host."""
    base = url.strip().rstrip("/")
    if not network.is_web_url(base):
        raise errors.BadInput(f"the GitHub API URL {base!r} is not an http(s) URL", fix)
    parts = urlsplit(base)
    if parts.scheme == "http" and not network.is_loopback(parts.hostname or ""):
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
    token = auth.secret_from_env(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _rate_limited(answer: network.Answer) -> bool:
    return answer.status == 429 or (
        answer.status == 403
        and (answer.header("X-RateLimit-Remaining") == "0" or bool(answer.header("Retry-After")))
    )


def _reset_time(answer: network.Answer) -> str:
    retry_after = answer.header("Retry-After").strip()
    if retry_after.isdigit() and len(retry_after) <= 20:
        return f"in {retry_after}s"
    reset = answer.header("X-RateLimit-Reset").strip()
    if reset.isdigit() and len(reset) <= 20:
        try:
            return dt.datetime.fromtimestamp(int(reset), dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        except (ValueError, OverflowError, OSError):
            return "at a time out of range"
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
    except RecursionError:
        raise errors.BadInput(
            f"{answer.url} answered with JSON nested too deeply, not the GitHub API's JSON",
            "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
        ) from None
    except ValueError:
        kind = "HTML" if answer.body.lstrip()[:1] == b"<" else "something that is not JSON"
        raise errors.BadInput(
            f"{answer.url} answered with {kind}, not the GitHub API's JSON",
            "Check GITHUB_API_URL or --api-url (a proxy or captive portal may be in the way), "
            "or pass --version to skip the lookup.",
        ) from None


def get_json(url: str, *, retry: Retry | None = None, timeout: float | None = None) -> Any:
    """GET ``url`` from the GitHub API and decode it, all attempts within ``timeout`` seconds
    (default: the network deadline).

    Server errors, broken-off answers and connection failures are retried with back-off while
    the deadline allows; a server that let it pass is not asked again.
    """
    policy = retry or Retry()
    budget = network.Budget(timeout)
    api = url.split("/repos/")[0]
    last_problem = ""
    unreachable = False
    took = 0.0
    for attempt in range(policy.attempts):
        if attempt:
            delay = policy.backoff * 2 ** (attempt - 1)
            if not budget.allows(delay + took):
                break  # another attempt like the last would not fit in the deadline
            output.say(f"github: {last_problem}; retrying in {delay:.1f}s ({attempt + 1}/{policy.attempts})")
            policy.sleep(delay)
        started = time.monotonic()
        try:
            answer = _follow(url, api, budget)
        except network.DeadlineExceeded:
            raise errors.StepFailed(
                f"the GitHub API at {api} gave no complete answer within {budget.seconds:g}s",
                f"It is stuck or too slow; try again later (or raise {network.DEADLINE_ENV}), "
                "or pass --version to skip the lookup.",
            ) from None
        except network.Malformed as err:
            raise errors.BadInput(
                f"{api} is not a GitHub API ({err.problem})",
                "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
            ) from None
        except network.Truncated as err:
            last_problem, unreachable, took = err.problem, False, time.monotonic() - started
            continue
        except network.Unreachable as err:
            last_problem, unreachable = f"{err.problem.split(':')[0]} talking to {url}", True
            took = time.monotonic() - started
            continue
        if answer.status >= 500:
            last_problem, unreachable, took = (
                f"HTTP {answer.status} from {url}",
                False,
                time.monotonic() - started,
            )
            continue
        return _result(answer, url)
    if not unreachable:
        raise errors.StepFailed(
            f"the GitHub API kept failing ({last_problem}) after {attempt + 1} attempts",
            "Try again later, or pass --version to skip the lookup.",
        )
    raise errors.BadInput(
        f"the GitHub API at {api} is unreachable ({last_problem}); are you offline?",
        "Check the network (or GITHUB_API_URL), or pass --version to skip the lookup.",
    )


def _follow(url: str, api: str, budget: network.Budget) -> network.Answer:
    """GET ``url``, following redirects on the API's own origin (the token goes nowhere else)."""
    for _ in range(MAX_REDIRECTS):
        answer = network.request("GET", url, headers=_headers(), budget=budget)
        if answer.status not in (301, 302, 303, 307, 308):
            return answer
        target = urljoin(url, answer.header("Location"))
        if not network.is_web_url(target):
            raise errors.BadInput(
                f"the GitHub API redirected {url} to {output.redact(target)[:200]}, not an http(s) URL",
                "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
            )
        if auth.origin(target) != auth.origin(url):
            raise errors.BadInput(
                f"the GitHub API redirected {url} to {output.redact(target)[:200]}, another host; "
                "not followed",
                "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
            )
        url = target
    raise errors.StepFailed(
        f"the GitHub API at {api} redirects without end ({MAX_REDIRECTS} redirects)",
        "Check GITHUB_API_URL or --api-url, or pass --version to skip the lookup.",
    )


def _result(answer: network.Answer, url: str) -> Any:
    """The decoded JSON of a final (not 5xx) answer, or the one-line error it stands for."""
    if _rate_limited(answer):
        raise _rate_limit_error(answer)
    if answer.status in (401, 403):
        raise errors.BadInput(
            f"the GitHub API refused {url} (HTTP {answer.status})",
            "Check GITHUB_TOKEN, or pass --version to skip the lookup.",
        )
    if answer.status == 404:
        raise errors.StepFailed(f"the GitHub API has nothing at {url}", "Check the repository name.")
    if answer.status >= 300:
        raise errors.StepFailed(f"the GitHub API answered HTTP {answer.status} for {url}", "Try again later.")
    return _decode(answer)


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
