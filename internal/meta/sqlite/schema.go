package sqlite

// migrations are applied in order; PRAGMA user_version records how many
// have run. Never edit a released migration: append a new one.
var migrations = []string{`
CREATE TABLE domains (
	id INTEGER PRIMARY KEY,
	owner TEXT NOT NULL,
	name TEXT NOT NULL,
	encryption_key TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	UNIQUE (name, owner)
);
CREATE TABLE repositories (
	id INTEGER PRIMARY KEY,
	domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	admin_account TEXT NOT NULL,
	upstreams TEXT NOT NULL DEFAULT '[]',
	external_connections TEXT NOT NULL DEFAULT '[]',
	created INTEGER NOT NULL,
	UNIQUE (domain_id, name)
);
CREATE INDEX repositories_name ON repositories(name, id);
CREATE TABLE packages (
	id INTEGER PRIMARY KEY,
	repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
	format TEXT NOT NULL,
	namespace TEXT NOT NULL,
	name TEXT NOT NULL,
	origin_publish TEXT NOT NULL,
	origin_upstream TEXT NOT NULL,
	generation INTEGER NOT NULL DEFAULT 1,
	UNIQUE (repository_id, format, namespace, name)
);
CREATE TABLE versions (
	id INTEGER PRIMARY KEY,
	package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	version TEXT NOT NULL,
	display_name TEXT NOT NULL DEFAULT '',
	revision TEXT NOT NULL,
	status TEXT NOT NULL,
	published INTEGER NOT NULL,
	origin_type TEXT NOT NULL,
	origin_repository TEXT NOT NULL DEFAULT '',
	origin_external TEXT NOT NULL DEFAULT '',
	summary TEXT NOT NULL DEFAULT '',
	home_page TEXT NOT NULL DEFAULT '',
	source_code_repo TEXT NOT NULL DEFAULT '',
	licenses TEXT NOT NULL DEFAULT '[]',
	dependencies TEXT NOT NULL DEFAULT '[]',
	readme TEXT NOT NULL DEFAULT '',
	format_meta BLOB,
	UNIQUE (package_id, version)
);
CREATE INDEX versions_published ON versions(package_id, published DESC, version);
CREATE TABLE assets (
	id INTEGER PRIMARY KEY,
	version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	size INTEGER NOT NULL,
	md5 TEXT NOT NULL,
	sha1 TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	sha512 TEXT NOT NULL,
	created INTEGER NOT NULL,
	UNIQUE (version_id, name)
);
CREATE INDEX assets_sha256 ON assets(sha256);
CREATE TABLE dist_tags (
	package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	tag TEXT NOT NULL,
	version TEXT NOT NULL,
	PRIMARY KEY (package_id, tag)
);
CREATE TABLE tags (
	arn TEXT NOT NULL,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (arn, key)
);
CREATE TABLE blobs (
	digest TEXT PRIMARY KEY,
	size INTEGER NOT NULL
);
CREATE TABLE blob_leases (
	digest TEXT NOT NULL,
	until INTEGER NOT NULL
);
CREATE INDEX blob_leases_digest ON blob_leases(digest);
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
`, `
-- Access control (identities, policies). Names of users compare
-- case-insensitively, as IAM's do. A root key has user_name NULL, which
-- exempts it from the foreign key to users.
CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL
);
CREATE TABLE users (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name TEXT NOT NULL COLLATE NOCASE,
	created INTEGER NOT NULL,
	PRIMARY KEY (account_id, name)
);
CREATE TABLE access_keys (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_name TEXT COLLATE NOCASE,
	secret TEXT NOT NULL,
	status TEXT NOT NULL,
	created INTEGER NOT NULL,
	FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name) ON DELETE CASCADE
);
CREATE INDEX access_keys_user ON access_keys(account_id, user_name);
CREATE TABLE user_policies (
	account_id TEXT NOT NULL,
	user_name TEXT NOT NULL COLLATE NOCASE,
	name TEXT NOT NULL,
	document TEXT NOT NULL,
	updated INTEGER NOT NULL,
	PRIMARY KEY (account_id, user_name, name),
	FOREIGN KEY (account_id, user_name) REFERENCES users(account_id, name) ON DELETE CASCADE
);
CREATE TABLE domain_policies (
	domain_id INTEGER PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
	document TEXT NOT NULL,
	revision TEXT NOT NULL,
	updated INTEGER NOT NULL
);
CREATE TABLE repository_policies (
	repository_id INTEGER PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
	document TEXT NOT NULL,
	revision TEXT NOT NULL,
	updated INTEGER NOT NULL
);
-- Servers cache all of the above (and resource tags, which policy
-- conditions read) and reload when n changes; the triggers make every
-- write count, cascades included, whoever makes it.
CREATE TABLE access_generation (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n INTEGER NOT NULL
);
INSERT INTO access_generation (id, n) VALUES (1, 1);
CREATE TRIGGER accounts_insert_gen AFTER INSERT ON accounts BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER accounts_update_gen AFTER UPDATE ON accounts BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER accounts_delete_gen AFTER DELETE ON accounts BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER users_insert_gen AFTER INSERT ON users BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER users_update_gen AFTER UPDATE ON users BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER users_delete_gen AFTER DELETE ON users BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER access_keys_insert_gen AFTER INSERT ON access_keys BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER access_keys_update_gen AFTER UPDATE ON access_keys BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER access_keys_delete_gen AFTER DELETE ON access_keys BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER user_policies_insert_gen AFTER INSERT ON user_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER user_policies_update_gen AFTER UPDATE ON user_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER user_policies_delete_gen AFTER DELETE ON user_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER domain_policies_insert_gen AFTER INSERT ON domain_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER domain_policies_update_gen AFTER UPDATE ON domain_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER domain_policies_delete_gen AFTER DELETE ON domain_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER repository_policies_insert_gen AFTER INSERT ON repository_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER repository_policies_update_gen AFTER UPDATE ON repository_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER repository_policies_delete_gen AFTER DELETE ON repository_policies BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER tags_insert_gen AFTER INSERT ON tags BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER tags_update_gen AFTER UPDATE ON tags BEGIN UPDATE access_generation SET n = n + 1; END;
CREATE TRIGGER tags_delete_gen AFTER DELETE ON tags BEGIN UPDATE access_generation SET n = n + 1; END;
`, `
-- Package groups. pattern_key (model.PatternKey: case folded) makes
-- patterns unique per domain; format is the pattern's format segment, ''
-- for the root group, so a publish loads only the groups that can match.
-- Every domain gets its root group "/*" when it is created (and existing
-- domains get theirs here), allowing every origin.
CREATE TABLE package_groups (
	id INTEGER PRIMARY KEY,
	domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
	pattern TEXT NOT NULL,
	pattern_key TEXT NOT NULL,
	format TEXT NOT NULL,
	contact_info TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	mode_publish TEXT NOT NULL,
	mode_external_upstream TEXT NOT NULL,
	mode_internal_upstream TEXT NOT NULL,
	created INTEGER NOT NULL,
	UNIQUE (domain_id, pattern_key)
);
CREATE INDEX package_groups_format ON package_groups(domain_id, format, pattern);
CREATE TABLE package_group_allowed_repositories (
	group_id INTEGER NOT NULL REFERENCES package_groups(id) ON DELETE CASCADE,
	restriction TEXT NOT NULL,
	repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, restriction, repository_id)
);
CREATE INDEX package_group_allowed_repositories_repo ON package_group_allowed_repositories(repository_id);
INSERT INTO package_groups (domain_id, pattern, pattern_key, format, mode_publish, mode_external_upstream, mode_internal_upstream, created)
	SELECT id, '/*', '/*', '', 'ALLOW', 'ALLOW', 'ALLOW', created FROM domains;
CREATE TRIGGER domains_root_package_group AFTER INSERT ON domains BEGIN
	INSERT INTO package_groups (domain_id, pattern, pattern_key, format, mode_publish, mode_external_upstream, mode_internal_upstream, created)
	VALUES (NEW.id, '/*', '/*', '', 'ALLOW', 'ALLOW', 'ALLOW', NEW.created);
END;
`, `
-- Blobs that may have lost their last reference, so the collector checks
-- these instead of every blob there is (a full scan per collection cost a
-- DeletePackageVersions call 440 ms with 100k versions stored, against
-- 14 ms with 1k). A blob is recorded by PutAsset and can only become
-- unreferenced when an asset row goes (delete, cascades included) or its
-- version is disposed; both paths are covered by triggers.
CREATE TABLE gc_candidates (digest TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO gc_candidates (digest) SELECT digest FROM blobs;
CREATE TRIGGER assets_gc_candidate AFTER DELETE ON assets BEGIN
	INSERT OR IGNORE INTO gc_candidates (digest) VALUES (OLD.sha256);
END;
CREATE TRIGGER versions_disposed_gc_candidate AFTER UPDATE OF status ON versions
WHEN NEW.status = 'Disposed' AND OLD.status != 'Disposed' BEGIN
	INSERT OR IGNORE INTO gc_candidates (digest) SELECT sha256 FROM assets WHERE version_id = NEW.id;
END;
`, `
-- scope_generation advances on every change to a domain or repository,
-- so read transactions can tell whether what they cached of those rows
-- (scopecache.go) is still what their snapshot holds.
CREATE TABLE scope_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO scope_generation (id, value) VALUES (1, 1);
CREATE TRIGGER domains_insert_scope AFTER INSERT ON domains BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER domains_update_scope AFTER UPDATE ON domains BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER domains_delete_scope AFTER DELETE ON domains BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER repositories_insert_scope AFTER INSERT ON repositories BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER repositories_update_scope AFTER UPDATE ON repositories BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER repositories_delete_scope AFTER DELETE ON repositories BEGIN UPDATE scope_generation SET value = value + 1 WHERE id = 1; END;
`, `
-- The outbox of package events (meta/events.go): events are written in
-- the transaction of the change they describe; deliveries queue them per
-- webhook, in event order per stream. AUTOINCREMENT: event ids order
-- deliveries and must never be reused after a prune.
CREATE TABLE webhooks (
	id INTEGER PRIMARY KEY,
	domain_owner TEXT NOT NULL,
	domain TEXT NOT NULL,
	repository TEXT NOT NULL,
	url TEXT NOT NULL,
	secret TEXT NOT NULL,
	created INTEGER NOT NULL
);
CREATE INDEX webhooks_scope ON webhooks(domain_owner, domain, repository);
CREATE TABLE event_sequences (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	stream TEXT NOT NULL,
	domain_owner TEXT NOT NULL,
	domain TEXT NOT NULL,
	repository TEXT NOT NULL,
	body BLOB NOT NULL,
	created INTEGER NOT NULL
);
CREATE TABLE deliveries (
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	stream TEXT NOT NULL,
	delivered INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	claimed_until INTEGER NOT NULL DEFAULT 0,
	delivered_at INTEGER NOT NULL DEFAULT 0,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX deliveries_pending ON deliveries(webhook_id, stream, event_id) WHERE delivered = 0;
CREATE INDEX deliveries_event ON deliveries(event_id);
`, `
-- Retention rules of domains (internal/retention), with the progress of
-- each rule's run so that a run a crash interrupted resumes.
CREATE TABLE retention_rules (
	domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	rule TEXT NOT NULL,
	owner TEXT NOT NULL,
	owner_arn TEXT NOT NULL,
	run TEXT NOT NULL DEFAULT '',
	updated INTEGER NOT NULL,
	PRIMARY KEY (domain_id, name)
);
`, `
-- Deleted versions kept for their domain's restore window; their bytes
-- are kept by blob leases that end with the window.
CREATE TABLE trashed_versions (
	id INTEGER PRIMARY KEY,
	package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	version TEXT NOT NULL,
	former_status TEXT NOT NULL,
	revision TEXT NOT NULL,
	deleted INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	doc TEXT NOT NULL,
	UNIQUE (package_id, version)
);
CREATE INDEX trashed_versions_expires ON trashed_versions(expires);
`, `
-- Download counts per version, flushed in batches from memory.
CREATE TABLE version_downloads (
	version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
	count INTEGER NOT NULL,
	last INTEGER NOT NULL
);
`, `
-- The audit trail: one CloudTrail-shaped record per control-plane call
-- and per package-manager write, written in the transaction of the change
-- it records. The record is kept as JSON; the columns are what
-- wharf admin audit filters on. Pruned by age (--audit-retention).
CREATE TABLE audit_events (
	event_id TEXT PRIMARY KEY,
	event_time INTEGER NOT NULL,
	event_name TEXT NOT NULL,
	principal TEXT NOT NULL,
	user_name TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	resource TEXT NOT NULL,
	record TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (event_time, event_id);
`, `
-- Per-package state owned by the package's format, opaque to the core
-- (npm keeps its dist-tags here: tag to version). It replaces dist_tags,
-- whose rows it takes over. Writes move the package's generation in the
-- store's code, as every version and asset write does.
CREATE TABLE package_state (
	package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (package_id, key)
);
INSERT INTO package_state (package_id, key, value) SELECT package_id, tag, version FROM dist_tags;
DROP TABLE dist_tags;
`, `
-- Web console sign-ins: in the store so every replica knows them and a
-- restart keeps them. id is the SHA-256 of the cookie's token. Expired
-- rows go at the next sign-in, which also drops the oldest beyond the
-- bound.
CREATE TABLE console_sessions (
	id TEXT PRIMARY KEY,
	account TEXT NOT NULL,
	arn TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	csrf TEXT NOT NULL,
	flash TEXT NOT NULL DEFAULT '',
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX console_sessions_created ON console_sessions(created);
CREATE INDEX console_sessions_expires ON console_sessions(expires);
`}
