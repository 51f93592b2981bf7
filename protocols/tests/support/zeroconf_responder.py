#!/usr/bin/env python3
"""Advertises printers over mDNS with python-zeroconf, an implementation
independent of the mdns-sd crate under test.

Usage: zeroconf_responder.py SPEC.json
SPEC: {"interfaces": ["127.0.0.1"],
       "printers": [{"name": ..., "host": "x.local.", "addresses": [...],
                     "services": [{"type": "_ipp._tcp.local.", "port": 631,
                                   "txt": {"ty": ...}}]}]}
Prints READY once every service is registered, then serves until stdin
closes (the test that started it ends), and withdraws its services.
Needs Debian's python3-zeroconf.
"""

import asyncio
import json
import sys

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf


def infos(spec):
    for p in spec["printers"]:
        for s in p["services"]:
            yield ServiceInfo(
                s["type"],
                f'{p["name"]}.{s["type"]}',
                port=s["port"],
                properties=s.get("txt", {}),
                server=p["host"],
                parsed_addresses=p["addresses"],
            )


async def main(path):
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    azc = AsyncZeroconf(interfaces=spec["interfaces"], ip_version=IPVersion.V4Only)
    all_infos = list(infos(spec))
    # Registering concurrently probes all names at once (about a second in
    # all instead of a second per service).
    pending = await asyncio.gather(*(azc.async_register_service(i) for i in all_infos))
    await asyncio.gather(*pending)
    print("READY", len(all_infos), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await azc.async_unregister_all_services()
    await azc.async_close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
