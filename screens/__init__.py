"""The README's pictures, regenerated from the current code by ``make screenshot``.

Project tooling, not the product: ``slack_page`` renders the Block Kit canary sends as a
page that looks like Slack's desktop client, ``slack_run`` drives real runs against the
Slack stand-in, ``browser`` screenshots pages with Debian's headless Chromium.
"""
