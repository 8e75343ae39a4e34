"""OAuth 2.0 from the consent link to the first API v4 call, the way a web integration does it.

1. build the consent URL (``authorization_url``) with a random ``state``, kept for the way back;
2. send the person there; amoCRM redirects the browser to the integration's redirect URI with
   ``?code=…&referer=…&state=…`` (here the sandbox's consent page answers at once, and the script
   reads the redirect from its ``Location`` header instead of a browser);
3. parse the redirect (``parse_redirect``: the state must match, the account comes from ``referer``;
   a redirect with another state is refused, which the script shows);
4. exchange the code for tokens, stored in a ``FileTokenStorage`` (one 0600 JSON file per account);
5. connect with ``OAuth2.from_storage`` and call ``GET /api/v4/account``.

Run it: ``python examples/v4/oauth.py [--sandbox JSON] [--tokens DIR]`` (without ``--sandbox`` it
starts a sandbox of its own). It prints the account and where the tokens went, never the code or a
token.
"""

from __future__ import annotations

import tempfile
import urllib.request
from urllib.error import HTTPError

from _env import parser, sandbox_info

from amocrm import AmoClient, FileTokenStorage, OAuth2
from amocrm.auth.onboarding import RedirectError, authorization_url, exchange_code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the redirect URI is the integration's own server: read Location instead of following


def consent(url: str) -> str:
    """What the browser does on the consent page (the sandbox approves at once): the redirect target."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as answer:
            raise SystemExit(f"the consent page did not redirect (HTTP {answer.status})")
    except HTTPError as redirect:
        if redirect.code not in (301, 302, 303, 307):
            raise
        return str(redirect.headers["Location"])


def main() -> None:
    args = parser(__doc__).parse_args()
    with sandbox_info(args.sandbox) as sb:
        client_id, secret, redirect_uri = sb["client_id"], sb["client_secret"], sb["redirect_uri"]
        # 1. the link; a web application keeps request.state in the user's session
        request = authorization_url(client_id, base_url=sb["base_url"])  # no base_url: www.amocrm.ru
        # 2. the browser comes back to redirect_uri?code=…&referer=…&state=…
        redirected_to = consent(request.url)
        # 3. state checked (RedirectError for a stale or forged redirect), account read from referer
        grant = request.parse_redirect(redirected_to)
        print("authorized for", grant.domain)
        forged = redirected_to.replace(f"state={request.state}", "state=someone-else")
        try:  # a redirect that does not answer this request (stale, forged) is refused before any exchange
            request.parse_redirect(forged)
        except RedirectError as exc:
            print("refused a redirect with another state:", exc)
        # 4. the single-use code for tokens, saved under the account's domain
        storage = FileTokenStorage(args.tokens or tempfile.mkdtemp(prefix="amocrm-tokens-"))
        exchange_code(grant, client_id=client_id, client_secret=secret, redirect_uri=redirect_uri,
                      storage=storage, base_url=sb["base_url"])  # base_url: only for the sandbox
        print("tokens stored in", storage.path(grant.domain))
        # 5. later runs start here: the stored tokens, refreshed by the SDK when they expire
        auth = OAuth2.from_storage(storage, grant.domain)
        with AmoClient(grant.domain, auth=auth, base_url=sb["base_url"], throttle=None) as client:
            account = client.v4.account.get()
            print("account", account.id, account.name, account.subdomain)


if __name__ == "__main__":
    main()
