"""Drive openstacksdk's image proxy against an Image API endpoint without Keystone.

Reads one JSON document from stdin:

    {"url": "http://127.0.0.1:PORT",          # the image endpoint (no /v2)
     "headers": {"X-Project-Id": "p", ...},   # optional, sent on every request
     "steps": [{"op": "create", "save": "a", "name": "x", ...}, ...]}

and prints one JSON document on stdout: {"steps": [...], "requests": [...]}, one entry per step
with "ok" and either "result" or "error", and every HTTP request the SDK made (method, path,
status and the identity headers it carried). A failing step does not stop the run; the caller
asserts on each entry. A string argument "$name" stands for the id of the image saved under
that name by an earlier step.

Authentication: keystoneauth1's NoAuth plugin (no Keystone round trip; it sends the token
"notused", which Glance's noauth pipeline and Glint both ignore) plus the session's
additional_headers, which keystoneauth adds to every request, for the trusted-header identity.
The endpoint comes from image_endpoint_override, so the SDK still runs its version discovery
against GET / as it does with a real catalog.
"""

import json
import sys
import traceback
from urllib.parse import urlsplit

import openstack
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from openstack import exceptions

IDENTITY_HEADERS = ('x-identity-status', 'x-project-id', 'x-roles', 'x-user-id')

# What the SDK reports about an image, under the SDK's own attribute names.
IMAGE_FIELDS = (
    'id', 'name', 'status', 'visibility', 'owner_id', 'tags', 'properties', 'disk_format',
    'container_format', 'is_protected', 'is_hidden', 'min_disk', 'min_ram', 'size', 'checksum',
    'created_at', 'updated_at',
)


def image_summary(image):
    return {field: getattr(image, field, None) for field in IMAGE_FIELDS}


def main():
    params = json.load(sys.stdin)
    requests_log = []

    def record(response, *args, **kwargs):
        sent = response.request
        parts = urlsplit(sent.url)
        requests_log.append({
            'method': sent.method,
            'path': parts.path + ('?' + parts.query if parts.query else ''),
            'status': response.status_code,
            'headers': {k.lower(): v for k, v in sent.headers.items()
                        if k.lower() in IDENTITY_HEADERS},
        })

    session = ks_session.Session(
        auth=noauth.NoAuth(endpoint=params['url']),
        additional_headers=params.get('headers') or {},
    )
    # The underlying requests.Session sees the final headers, after keystoneauth added its own.
    session.session.hooks['response'].append(record)
    conn = openstack.connection.Connection(
        session=session,
        image_endpoint_override=params['url'],
        image_api_version='2',
    )
    saved = {}

    def ref(value):
        if isinstance(value, str) and value.startswith('$'):
            return saved[value[1:]]
        return value

    results = []
    for step in params['steps']:
        op = step['op']
        entry = {'op': op}
        first_request = len(requests_log)
        try:
            entry['result'] = run_step(conn, op, step, ref)
            entry['ok'] = True
            if step.get('save') and isinstance(entry['result'], dict):
                saved[step['save']] = entry['result']['id']
        except exceptions.HttpException as err:
            entry['ok'] = False
            entry['error'] = {
                'type': type(err).__name__,
                'http_status': err.status_code,
                'message': str(err),
            }
        except Exception as err:  # noqa: BLE001 - reported to the caller, who asserts on it
            entry['ok'] = False
            entry['error'] = {
                'type': type(err).__name__,
                'http_status': None,
                'message': str(err),
                'trace': traceback.format_exc(),
            }
        entry['requests'] = len(requests_log) - first_request
        results.append(entry)

    json.dump({'steps': results, 'requests': requests_log}, sys.stdout, default=str)


def run_step(conn, op, step, ref):
    image_api = conn.image
    if op == 'create':
        kwargs = dict(step.get('properties') or {})
        if step.get('visibility'):
            kwargs['visibility'] = step['visibility']
        image = image_api.create_image(
            name=step['name'],
            disk_format=step.get('disk_format', 'raw'),
            container_format=step.get('container_format', 'bare'),
            tags=step.get('tags'),
            # The SDK otherwise looks the name up first and returns an existing image.
            allow_duplicates=True,
            **kwargs,
        )
        return image_summary(image)
    if op == 'show':
        return image_summary(image_api.get_image(ref(step['image'])))
    if op == 'list':
        query = {k: ref(v) for k, v in (step.get('query') or {}).items()}
        return [image_summary(i) for i in image_api.images(**query)]
    if op == 'update':
        # Custom properties live in Image.properties; the SDK turns the difference between the
        # image it fetched and the edited copy into a JSON patch (add/replace/remove).
        image = image_api.get_image(ref(step['image']))
        attrs = dict(step.get('attrs') or {})
        properties = dict(image.properties or {})
        properties.update(step.get('set_properties') or {})
        for key in step.get('remove_properties') or []:
            properties.pop(key, None)
        return image_summary(image_api.update_image(image, properties=properties, **attrs))
    if op == 'add_tag':
        image_api.add_tag(ref(step['image']), step['tag'])
        return None
    if op == 'remove_tag':
        image_api.remove_tag(ref(step['image']), step['tag'])
        return None
    if op == 'upload':
        image = image_api.get_image(ref(step['image']))
        image.data = step['data'].encode()
        image.upload(image_api)
        return None
    if op == 'deactivate':
        image_api.deactivate_image(ref(step['image']))
        return None
    if op == 'reactivate':
        image_api.reactivate_image(ref(step['image']))
        return None
    if op == 'delete':
        image_api.delete_image(ref(step['image']), ignore_missing=False)
        return None
    raise ValueError('unknown op ' + op)


if __name__ == '__main__':
    main()
