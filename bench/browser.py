"""What a person typing in the grid waits for: from the last keystroke in a cell
to the new visits figure on screen, over 50 edits, in Debian's Chromium through
Playwright, against the running production server.

``python bench/browser.py --base http://127.0.0.1:PORT --sessionid ... --year Y``
prints one JSON line. The time runs from the last key's keydown (its event
timestamp) to the first animation frame after the new figure is in the DOM
(plus a zero timeout, so the frame has been painted): the page's debounce
(about 50 ms), the request, the swap and the paint are all inside it, as a
person lives them. A pause between two keys longer than the debounce sends a
recompute of its own, as it would for a person; ``hx-sync`` on the page lets
only the newest answer land, and the time waits for the last value's figure.
"""

import argparse
import json
import math
import os
import statistics
from decimal import Decimal

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A quick typist: most keys come within the page's ~50 ms debounce of the
# last, so the typing usually sends one recompute, sometimes two.
KEY_DELAY_MS = 40

WATCH = """
([month, expected]) => ({promise: new Promise((resolve) => {
  const input = document.getElementById(`id_cv_count_${month}`);
  let lastKey = null;
  const onKey = (event) => { lastKey = event.timeStamp; };
  input.addEventListener("keydown", onKey);
  const shown = () => {
    const cell = document.getElementById(`visits-${month}`);
    return cell && cell.textContent === expected;
  };
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    input.removeEventListener("keydown", onKey);
    requestAnimationFrame(() => setTimeout(() => {
      resolve(performance.now() - lastKey);
    }, 0));
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
})})
"""


def visits(cv_count, rate_text):
    """What the page will show: ceil(CV / (rate / 100)), grouped by thousands."""
    rate = Decimal(rate_text.replace("%", "").strip())
    return f"{math.ceil(Decimal(cv_count) * 100 / rate):,}"


def percentile(values, share):
    """Nearest rank: the smallest value that ``share`` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--sessionid", required=True)
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()

    latencies = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            base_url=args.base, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": args.sessionid,
                    "url": args.base,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(f"/goals/{args.year}/")
        page.wait_for_function("() => window.htmx !== undefined")
        for edit in range(args.edits):
            month = edit % 12 + 1
            value = 1000 + edit
            rate = page.input_value(f"#id_cv_rate_{month}")
            expected = visits(value, rate)
            cell = page.locator(f"#id_cv_count_{month}")
            cell.click()
            cell.press("Control+a")
            cell.press("Delete")
            page.wait_for_timeout(200)  # let the emptied cell's recompute pass
            # A handle to {promise}: Playwright would await a bare promise here.
            waiting = page.evaluate_handle(WATCH, [month, expected])
            page.keyboard.type(str(value), delay=KEY_DELAY_MS)
            latencies.append(waiting.evaluate("watch => watch.promise"))
        browser.close()
    print(
        json.dumps(
            {
                "edits": len(latencies),
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "max_ms": round(max(latencies), 1),
                "min_ms": round(min(latencies), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
