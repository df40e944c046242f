"""``scribeauth devices``: the devices Cognito remembers for the signed-in user; ``forget``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..devices import DeviceCalls
from ..errors import ConfigError
from ..models import format_expiration
from .console import Console
from .session import broker_for, load

__all__ = ["register"]


def _attributes(device: Mapping[str, Any]) -> dict[str, str]:
    found = device.get("DeviceAttributes")
    if not isinstance(found, list):
        return {}
    return {
        str(a.get("Name")): str(a.get("Value"))
        for a in found
        if isinstance(a, Mapping) and a.get("Name") is not None
    }


def _date(value: object) -> str | None:
    if isinstance(value, datetime):
        return format_expiration(value)
    return None


def _row(device: Mapping[str, Any], this_key: str | None) -> dict[str, Any]:
    attributes = _attributes(device)
    key = str(device.get("DeviceKey") or "")
    return {
        "key": key,
        "name": attributes.get("device_name"),
        "remembered": attributes.get("dev:device_remembered_status") == "remembered",
        "last_used": _date(device.get("DeviceLastAuthenticatedDate")),
        "created": _date(device.get("DeviceCreateDate")),
        "this_machine": bool(this_key) and key == this_key,
    }


def devices(args: argparse.Namespace, console: Console) -> int:
    profile = load(args)
    broker = broker_for(profile, console)
    calls = DeviceCalls(broker)
    if args.action == "forget":
        with console.busy("Forgetting the device"):
            key = calls.forget(args.device_key)
        console.out(f"Forgot device {key} of profile {profile.name!r}.")
        return 0
    if args.device_key is not None:
        raise ConfigError(f"unexpected {args.device_key!r}; to remove a device: devices forget KEY")
    with console.busy("Listing devices"):
        found, this_key = calls.list()
    rows = [_row(device, this_key) for device in found]
    if args.json:
        console.out(json.dumps(rows, indent=2))
        return 0
    if not rows:
        console.out(f"Cognito remembers no device for profile {profile.name!r}.")
        return 0
    for row in rows:
        mark = " (this machine)" if row["this_machine"] else ""
        state = "remembered" if row["remembered"] else "not remembered"
        name = row["name"] or "-"
        console.out(f"{row['key']}  {name}  {state}  last used {row['last_used'] or '-'}{mark}")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds ``devices``."""
    from . import add_command

    parser = add_command(
        subparsers,
        "devices",
        summary="list the devices Cognito remembers for you, or forget one",
        description=(
            "List the devices Cognito tracks for the user signed in to the profile (ListDevices), "
            "marking this machine's; or forget one (ForgetDevice): by default this machine's, "
            "which then signs in as a new device next time. Needs a signed-in session."
        ),
        examples=[
            "scribeauth devices --profile scribe",
            "scribeauth devices forget --profile scribe            # this machine",
            "scribeauth devices forget eu-west-2_1a2b... --profile scribe",
        ],
        common=common,
        handler=devices,
    )
    parser.add_argument(
        "action", nargs="?", choices=["list", "forget"], default="list", help="default: list"
    )
    parser.add_argument(
        "device_key", nargs="?", metavar="DEVICE_KEY", help="forget: the device (default: this)"
    )
    parser.add_argument("--json", action="store_true", help="list: print a JSON document")
