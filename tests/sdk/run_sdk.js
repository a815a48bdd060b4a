#!/usr/bin/env node
/*
 * Workfront's own SDK (npm `workfront-api`, pinned in package.json) against a Workfront: every
 * operation of its Api class in turn, on objects this script creates.
 *
 *   node run_sdk.js BASE_URL SESSION_ID
 *
 * or WORKFRONT_BASE_URL and WORKFRONT_SESSION_ID in the environment; WORKFRONT_API_VERSION
 * (default 21.0) and WORKFRONT_SDK_TIMEOUT_MS (default 10000, per operation) are optional. The
 * SDK is found the usual way, or in NODE_PATH (test_workfront_sdk.py installs it in a cache).
 *
 * Prints one JSON line per operation, {"op", "ok", "result"} or {"op", "ok": false, "error",
 * "exchanges"}, where "exchanges" are the HTTP requests the operation sent (method, URL,
 * headers, body) and what came back (status, body); "sent" lists every request's method and
 * URL. Exits 1 when an operation failed, 2 on bad arguments.
 *
 * Meant for the emulator (django_workfront_oauth.testing): it writes to the Workfront it is
 * pointed at, and logs the session out at the end.
 */
'use strict';

const BASE_URL = process.argv[2] || process.env.WORKFRONT_BASE_URL;
const SESSION_ID = process.argv[3] || process.env.WORKFRONT_SESSION_ID;
const VERSION = process.env.WORKFRONT_API_VERSION || '21.0';
const TIMEOUT_MS = Number(process.env.WORKFRONT_SDK_TIMEOUT_MS || 10000);

if (!BASE_URL || !SESSION_ID) {
    process.stderr.write('usage: node run_sdk.js BASE_URL SESSION_ID\n');
    process.exit(2);
}

// The HTTP traffic of the operation running now, recorded by a wrapper around `fetch` (the SDK
// calls the global `fetch` on every request).
let exchanges = [];

function headerObject(headers) {
    const out = {};
    if (headers && typeof headers.forEach === 'function') {
        headers.forEach((value, name) => {
            out[name] = value;
        });
    } else if (headers) {
        Object.assign(out, headers);
    }
    return out;
}

function describeBody(body) {
    if (body === null || body === undefined) return null;
    if (typeof body === 'string') return body;
    if (Buffer.isBuffer(body)) return body.toString('utf8');
    if (typeof body.getBoundary === 'function') return `<multipart form-data, boundary ${body.getBoundary()}>`;
    return `<${Object.prototype.toString.call(body)}>`;
}

function recording(realFetch) {
    return function fetch(url, options = {}) {
        const exchange = {
            method: options.method || 'GET',
            url: String(url),
            headers: headerObject(options.headers),
            body: describeBody(options.body),
        };
        if (options.body && typeof options.body.getBoundary === 'function') {
            exchange.headers['content-type'] = `multipart/form-data; boundary=${options.body.getBoundary()} (set by node-fetch)`;
        }
        exchanges.push(exchange);
        return realFetch(url, options).then(
            (response) => {
                exchange.status = response.status;
                try {
                    response
                        .clone()
                        .text()
                        .then(
                            (text) => {
                                exchange.response = text.length > 4000 ? text.slice(0, 4000) + '…' : text;
                            },
                            () => {}
                        );
                } catch (error) {
                    exchange.response = `<unreadable: ${error.message}>`;
                }
                return response;
            },
            (error) => {
                exchange.failure = String(error && error.message ? error.message : error);
                throw error;
            }
        );
    };
}

// Node 18+ has a global fetch, and the SDK's `isomorphic-fetch` then leaves it alone; older
// Node gets node-fetch 1.x from it. Either way the SDK uses globalThis.fetch.
const nativeFetch = typeof globalThis.fetch === 'function';
const sdk = require('workfront-api');
const nodeFetch = require(require.resolve('node-fetch', {paths: [require.resolve('isomorphic-fetch')]}));
const transport = {fetch: globalThis.fetch, Headers: globalThis.Headers};
globalThis.fetch = recording(transport.fetch);

/*
 * NodeApi.uploadFromStream posts a `form-data` package stream, which only node-fetch (the SDK's
 * own Node transport, through its isomorphic-fetch dependency) knows how to send: the built-in
 * fetch of Node 18+ turns it into the text "[object FormData]". So the upload runs on node-fetch.
 * (Api.uploadFileContent cannot work at all in 6.2.0: request() copies its FormData into a
 * plain object before checking `instanceof FormData`, and posts an empty form.)
 */
function onNodeFetch(call) {
    if (!nativeFetch) return call();
    globalThis.fetch = recording(nodeFetch);
    globalThis.Headers = nodeFetch.Headers;
    try {
        return call(); // the SDK calls fetch synchronously, so the swap can end right away
    } finally {
        globalThis.fetch = recording(transport.fetch);
        globalThis.Headers = transport.Headers;
    }
}

const api = new sdk.NodeApi({url: BASE_URL, version: VERSION});
api.setSessionID(SESSION_ID);

// What the operations made, for the ones that follow.
const made = {};
const STAMP = `SDK ${new Date().toISOString()}`;

function need(...names) {
    const missing = names.filter((name) => made[name] === undefined);
    if (missing.length) throw new Error(`not run: an earlier operation did not make ${missing.join(', ')}`);
}

function ids(rows) {
    return rows.map((row) => row.ID);
}

const operations = [
    ['search-current-user', async () => {
        const rows = await api.search('USER', {ID: '$$USER.ID'}, ['ID', 'name', 'emailAddr']);
        if (Array.isArray(rows) && rows.length === 1) made.me = rows[0].ID;
        return rows;
    }],
    ['create-project', async () => {
        const project = await api.create(
            'PROJ',
            {name: `${STAMP} project`, description: 'Made by run_sdk.js'},
            ['name', 'description']
        );
        made.project = project.ID;
        return project;
    }],
    ['create-tasks', async () => {
        need('project', 'me');
        const tasks = [];
        for (const number of [1, 2, 3]) {
            tasks.push(await api.create(
                'TASK',
                {name: `SDK task ${number}`, projectID: made.project, assignedToID: made.me},
                ['name', 'projectID', 'assignedToID']
            ));
        }
        made.tasks = ids(tasks);
        return tasks;
    }],
    ['edit', async () => {
        need('tasks');
        return api.edit('TASK', made.tasks[0], {name: 'SDK task 1 (edited)'}, ['name']);
    }],
    ['edit-multiple', async () => {
        need('tasks');
        return api.editMultiple(
            'TASK',
            [
                {ID: made.tasks[1], name: 'SDK task 2 (bulk)', priority: 4},
                {ID: made.tasks[2], name: 'SDK task 3 (bulk)', priority: 4},
            ],
            ['name', 'priority']
        );
    }],
    ['get-one', async () => {
        need('tasks');
        return api.get('TASK', made.tasks[0], ['name', 'projectID']);
    }],
    ['get-many', async () => {
        need('tasks');
        return api.get('TASK', made.tasks, ['name']);
    }],
    ['search', async () => {
        need('project');
        return api.search(
            'TASK',
            {projectID: made.project, name: '(bulk)', name_Mod: 'contains', name_Sort: 'asc'},
            ['name', 'priority']
        );
    }],
    ['search-post', async () => {
        need('project');
        // useHttpPost: POST .../search with method=GET and the query in a form body.
        return api.search('TASK', {projectID: made.project, name_Sort: 'asc'}, ['name'], true);
    }],
    ['count', async () => {
        need('project');
        return api.count('TASK', {projectID: made.project});
    }],
    ['copy', async () => {
        need('project');
        const copy = await api.copy(
            'PROJ',
            made.project,
            {name: `${STAMP} project (copy)`},
            ['name'],
            ['clearAssignments']
        );
        made.copy = copy.ID;
        // A second look, since "remove" takes the copy away again: its tasks came along.
        const tasks = await api.search('TASK', {projectID: copy.ID, name_Sort: 'asc'}, ['name', 'projectID']);
        return {copy, tasks};
    }],
    ['execute', async () => {
        need('tasks');
        return api.execute('TASK', made.tasks[0], 'markDone');
    }],
    ['named-query', async () => {
        return api.namedQuery('work', 'myWork', null, ['name', 'status']);
    }],
    ['report', async () => {
        need('project');
        return api.report('TASK', {
            projectID: made.project,
            status_GroupBy: true,
            percentComplete_AggFunc: 'sum',
        });
    }],
    ['metadata-proj', async () => api.metadata('PROJ')],
    ['metadata-all', async () => api.metadata()],
    ['upload', async () => {
        const content = Buffer.from('A note the Workfront SDK uploaded.\n', 'utf8');
        const answer = await onNodeFetch(() => api.uploadFromStream(content, 'sdk-note.txt'));
        made.handle = answer && answer.handle;
        return answer;
    }],
    ['create-document', async () => {
        need('handle', 'project');
        return api.create(
            'DOCU',
            {
                name: 'sdk-note.txt',
                handle: made.handle,
                docObjCode: 'PROJ',
                objID: made.project,
                currentVersion: {version: 'v1.0', fileName: 'sdk-note.txt'},
            },
            ['name', 'docObjCode', 'objID']
        );
    }],
    ['batch', async () => {
        need('project');
        // The batch API only builds uris; a write names its method itself (the SDK marks
        // generated create/edit/remove uris method=GET).
        return api.batch((batch) => [
            batch.get('PROJ', made.project, ['name']),
            batch.search('TASK', {projectID: made.project, name_Sort: 'asc'}, ['name']),
            batch.count('TASK', {projectID: made.project}),
            batch.request(
                'TASK',
                {method: 'POST', updates: {name: 'SDK batch task', projectID: made.project}},
                ['name', 'projectID']
            ),
        ]);
    }],
    ['batch-atomic', async () => {
        need('project', 'tasks');
        return api.batch((batch) => [
            batch.request('TASK', {method: 'POST', updates: {name: 'SDK atomic task A', projectID: made.project}}),
            batch.request('TASK', {method: 'POST', updates: {name: 'SDK atomic task B', projectID: made.project}}),
            batch.request(`TASK/${made.tasks[2]}`, {method: 'PUT', updates: {percentComplete: 40}}),
        ], true);
    }],
    ['remove', async () => {
        need('copy');
        // The copied project still has its tasks: only force=true removes it with them.
        const removed = await api.remove('PROJ', made.copy, true);
        return removed === undefined ? null : removed;
    }],
    ['logout', async () => api.logout()],
];

function withTimeout(promise) {
    // Some SDK calls (logout on an error answer) never settle; the timer also keeps Node alive.
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(
            () => reject(new Error(`the SDK's promise did not settle within ${TIMEOUT_MS} ms`)),
            TIMEOUT_MS
        );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describeError(error) {
    if (error === undefined) return {message: 'the SDK rejected without a reason (the answer had no data.success)'};
    if (error instanceof Error) {
        return {message: error.message || 'the SDK threw an Error without a message (atomic batch: no data.success)'};
    }
    if (typeof error === 'object' && error !== null) return error;
    return {message: String(error)};
}

async function main() {
    let failed = 0;
    for (const [op, run] of operations) {
        exchanges = [];
        let line;
        try {
            const result = await withTimeout(Promise.resolve().then(run));
            line = {op, ok: true, result: result === undefined ? null : result};
        } catch (error) {
            failed += 1;
            await new Promise((resolve) => setTimeout(resolve, 50)); // let the response bodies be read
            line = {op, ok: false, error: describeError(error), exchanges};
        }
        line.sent = exchanges.map((exchange) => `${exchange.method} ${exchange.url}`);
        process.stdout.write(JSON.stringify(line) + '\n');
    }
    process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
});
