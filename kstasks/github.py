"""The GitHub REST API, for the latest release of an upstream project.

The base URL comes from the caller (``GITHUB_API_URL`` as GitHub Actions sets it, or an
option), so tests point it at a local server. ``GITHUB_TOKEN`` is sent when set and never
printed. Server errors and connection failures are retried with back-off.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kstasks import runner
from kstasks.versions import ReleaseVersion, parse_release_version

DEFAULT_API = "https://api.github.com"


def api_base(option: str | None = None) -> str:
    """``option``, else ``GITHUB_API_URL``, else the public API."""
    return (option or os.environ.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")


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
        runner.add_secret(token)
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _rate_limited(response: Any) -> bool:
    return response.status_code == 429 or (
        response.status_code == 403
        and (response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers)
    )


def _reset_time(response: Any) -> str:
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and reset.isdigit():
        return dt.datetime.fromtimestamp(int(reset), dt.timezone.utc).strftime("%H:%M UTC")
    if response.headers.get("Retry-After"):
        return f"in {response.headers['Retry-After']}s"
    return "later"


def get_json(url: str, *, retry: Retry | None = None, timeout: float = 10.0) -> Any:
    """GET ``url`` from the GitHub API and decode it; retries 5xx and connection errors."""
    import requests

    policy = retry or Retry()
    last_problem = ""
    for attempt in range(policy.attempts):
        if attempt:
            delay = policy.backoff * 2 ** (attempt - 1)
            runner.say(f"github: {last_problem}; retrying in {delay:.1f}s ({attempt + 1}/{policy.attempts})")
            policy.sleep(delay)
        try:
            response = requests.get(url, headers=_headers(), timeout=timeout)
        except requests.RequestException as err:
            last_problem = f"{type(err).__name__} talking to {url}"
            continue
        if response.status_code >= 500:
            last_problem = f"HTTP {response.status_code} from {url}"
            continue
        if _rate_limited(response):
            raise runner.usage_error(
                f"the GitHub API rate limit is reached (it resets {_reset_time(response)})",
                "Wait, or set GITHUB_TOKEN to raise the limit; or pass --version to skip the lookup.",
            )
        if response.status_code in (401, 403):
            raise runner.usage_error(
                f"the GitHub API refused {url} (HTTP {response.status_code})",
                "Check GITHUB_TOKEN, or pass --version to skip the lookup.",
            )
        if response.status_code == 404:
            raise runner.stop(f"the GitHub API has nothing at {url}", "Check the repository name.")
        if response.status_code >= 400:
            raise runner.stop(
                f"the GitHub API answered HTTP {response.status_code} for {url}", "Try again later."
            )
        return response.json()
    if last_problem.startswith("HTTP"):
        raise runner.stop(
            f"the GitHub API kept failing ({last_problem}) after {policy.attempts} attempts",
            "Try again later, or pass --version to skip the lookup.",
        )
    raise runner.usage_error(
        f"the GitHub API at {url.split('/repos/')[0]} is unreachable ({last_problem}); are you offline?",
        "Check the network (or GITHUB_API_URL), or pass --version to skip the lookup.",
    )


def latest_release(repo: str, *, api: str, retry: Retry | None = None) -> ReleaseVersion:
    """The latest stable release of ``owner/name`` (drafts and pre-releases never count)."""
    release = get_json(f"{api}/repos/{repo}/releases/latest", retry=retry)
    if release.get("draft") or release.get("prerelease"):
        raise runner.stop(
            f"GitHub reported a {'draft' if release.get('draft') else 'pre-release'} as the latest release "
            f"of {repo} ({release.get('tag_name')})",
            "Pass --version explicitly.",
        )
    tag = str(release.get("tag_name") or "")
    return parse_release_version(tag, what=f"latest release tag of {repo}")
