package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/identity"
	"github.com/wharf-dev/wharf/internal/meta"
	"github.com/wharf-dev/wharf/internal/meta/postgres"
	"github.com/wharf-dev/wharf/internal/meta/sqlite"
	"github.com/wharf-dev/wharf/internal/webhook"
)

const adminUsage = `Usage: wharf admin <command> [flags]

Manage accounts, IAM users, access keys and user policies in a data
directory or a PostgreSQL database. A running server picks changes up within a second; new keys
work on their first request. Output is JSON.

Commands:
  create-account     [--account-id ID] [--name ALIAS]
  list-accounts
  delete-account     --account-id ID            (with its users and keys)
  create-user        --account-id ID --user-name NAME
  list-users         [--account-id ID]
  delete-user        --account-id ID --user-name NAME
  create-access-key  --account-id ID [--user-name NAME]
                     (no user: a key of the account's root; the secret
                     is printed once and never again)
  list-access-keys   [--account-id ID] [--user-name NAME]
  update-access-key  --access-key-id ID --status Active|Inactive
  delete-access-key  --access-key-id ID
  put-user-policy    --account-id ID --user-name NAME --policy-name NAME
                     --policy-document JSON|file://PATH|-
                     (alias attach-policy; replaces a policy of that name)
  delete-user-policy --account-id ID --user-name NAME --policy-name NAME
                     (alias detach-policy)
  list-user-policies --account-id ID --user-name NAME
  reseal             [--old-secrets-key-file PATH]
                     (encrypt every stored secret, webhook signing
                     secrets and the generated admin-credentials.json
                     with the current key)
  new-secrets-key    (print a fresh random secrets key)
  webhook            add|list|remove|deliveries: package event webhooks
                     ('wharf admin webhook help')
  retention          put|list|get|delete|dry-run|run: retention rules,
                     through the running server's API (see
                     'wharf admin retention -h')
  restore-window     set|get: how long deleted versions stay restorable
  trash              list|restore: deleted versions within the window
                     (see 'wharf admin trash -h')
  audit              [--since T] [--until T] [--user U] [--event-name N]
                     [--resource ARN] [--limit N]
                     (the audit trail, one CloudTrail record per line;
                     see 'wharf admin audit -h')

Flags of every command:
  --data-dir DIR           (WHARF_DATA_DIR, default wharf-data)
  --meta-store sqlite|postgres  (WHARF_META_STORE, default sqlite): as
                           given to wharf serve
  --postgres-dsn DSN       (WHARF_POSTGRES_DSN): the database of
                           --meta-store postgres
  --secrets-key-file PATH  (WHARF_SECRETS_KEY_FILE, or the key itself in
                           WHARF_SECRETS_KEY): encrypts stored secrets;
                           use the same key as the server
`

// adminCmd is one admin command's flags and action.
type adminCmd struct {
	fs                                                              *flag.FlagSet
	dataDir, metaStore, postgresDSN                                 *string
	keyFile                                                         *string
	account, user, name, policyName, doc, status, keyID, oldKeyFile *string
}

func admin(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(adminUsage)
		if len(args) == 0 {
			return errors.New("admin: a command is required")
		}
		return nil
	}
	name := args[0]
	if name == "webhook" {
		return adminWebhook(args[1:])
	}
	switch name {
	case "attach-policy":
		name = "put-user-policy"
	case "detach-policy":
		name = "delete-user-policy"
	}
	if name == "retention" {
		return adminRetention(args[1:], os.Stdout)
	}
	if name == "restore-window" || name == "trash" {
		return adminTrash(name, args[1:], os.Stdout)
	}
	if name == "audit" {
		return adminAudit(args[1:])
	}
	if name == "new-secrets-key" {
		fmt.Println(identity.NewSecretsKey())
		return nil
	}
	c := &adminCmd{fs: flag.NewFlagSet("admin "+name, flag.ContinueOnError)}
	c.fs.Usage = func() { fmt.Fprint(c.fs.Output(), adminUsage) }
	c.dataDir = c.fs.String("data-dir", env("WHARF_DATA_DIR", "wharf-data"), "data directory")
	c.metaStore = c.fs.String("meta-store", env("WHARF_META_STORE", "sqlite"), "sqlite or postgres")
	c.postgresDSN = c.fs.String("postgres-dsn", "", "PostgreSQL database of --meta-store postgres")
	c.keyFile = c.fs.String("secrets-key-file", env("WHARF_SECRETS_KEY_FILE", ""), "secrets key file")
	c.account = c.fs.String("account-id", "", "12-digit account id")
	c.user = c.fs.String("user-name", "", "IAM user name")
	c.name = c.fs.String("name", "", "account alias")
	c.policyName = c.fs.String("policy-name", "", "policy name")
	c.doc = c.fs.String("policy-document", "", "policy document: JSON, file://PATH or - for stdin")
	c.status = c.fs.String("status", "", "Active or Inactive")
	c.keyID = c.fs.String("access-key-id", "", "access key id")
	c.oldKeyFile = c.fs.String("old-secrets-key-file", "", "the previous secrets key, to re-encrypt under a new one")
	if err := c.fs.Parse(args[1:]); err != nil {
		return err
	}
	if c.fs.NArg() > 0 {
		return fmt.Errorf("admin %s: unexpected argument %q", name, c.fs.Arg(0))
	}
	run, ok := adminCommands[name]
	if !ok {
		fmt.Fprint(os.Stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", name)
	}
	ctx := context.Background()
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	key, _, err := secretsKey(*c.keyFile)
	if err != nil {
		return err
	}
	sealer, err := identity.NewSealer(key)
	if err != nil {
		return err
	}
	m := &identity.Manager{Store: store, Sealer: sealer}
	out, err := run(ctx, c, m, store)
	if err != nil {
		return fmt.Errorf("admin %s: %w", name, err)
	}
	if out != nil {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return nil
}

// openStore opens the metadata store wharf serve would use with the same
// flags.
func (c *adminCmd) openStore(ctx context.Context) (meta.AccessStore, error) {
	dsn := *c.postgresDSN
	if dsn == "" {
		dsn = os.Getenv("WHARF_POSTGRES_DSN")
	}
	switch *c.metaStore {
	case "sqlite":
		if dsn != "" {
			return nil, errors.New("--postgres-dsn needs --meta-store postgres")
		}
		if _, err := os.Stat(filepath.Join(*c.dataDir, "wharf.db")); err != nil {
			// Creating a database here would only hide a mistyped --data-dir.
			return nil, fmt.Errorf("no Wharf data in %s: %w", *c.dataDir, err)
		}
		return sqlite.Open(ctx, filepath.Join(*c.dataDir, "wharf.db"))
	case "postgres":
		if dsn == "" {
			return nil, errors.New("--meta-store postgres needs --postgres-dsn or WHARF_POSTGRES_DSN")
		}
		return postgres.Open(ctx, dsn)
	default:
		return nil, fmt.Errorf("--meta-store: want sqlite or postgres, got %q", *c.metaStore)
	}
}

// secretsKey reads the secrets key from a file, or from WHARF_SECRETS_KEY;
// nil when neither is set. It returns the file it came from.
func secretsKey(file string) ([]byte, string, error) {
	if file != "" {
		k, err := identity.LoadKey(file)
		if err != nil {
			return nil, "", err
		}
		abs, _ := filepath.Abs(file)
		return k, abs, nil
	}
	if v := os.Getenv("WHARF_SECRETS_KEY"); v != "" {
		k, err := identity.ParseKey(v)
		if err != nil {
			return nil, "", fmt.Errorf("WHARF_SECRETS_KEY: %w", err)
		}
		return k, "", nil
	}
	return nil, "", nil
}

func (c *adminCmd) need(flags ...string) error {
	var missing []string
	for _, f := range flags {
		if c.fs.Lookup(f).Value.String() == "" {
			missing = append(missing, "--"+f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// policyDocument reads --policy-document.
func (c *adminCmd) policyDocument() (string, error) { return readDocument(*c.doc) }

// readDocument reads a document flag: inline JSON, file://PATH, or - for
// standard input.
func readDocument(d string) (string, error) {
	switch {
	case d == "-":
		b, err := io.ReadAll(os.Stdin)
		return string(b), err
	case strings.HasPrefix(d, "file://"):
		b, err := os.ReadFile(strings.TrimPrefix(d, "file://"))
		return string(b), err
	}
	return d, nil
}

type accountJSON struct {
	AccountID  string `json:"AccountId"`
	Name       string `json:"Name,omitempty"`
	CreateDate string `json:"CreateDate"`
}

type userJSON struct {
	AccountID  string `json:"AccountId"`
	UserName   string `json:"UserName"`
	Arn        string `json:"Arn"`
	CreateDate string `json:"CreateDate"`
}

type keyJSON struct {
	AccessKeyID string `json:"AccessKeyId"`
	AccountID   string `json:"AccountId"`
	UserName    string `json:"UserName,omitempty"`
	Arn         string `json:"Arn"`
	Status      string `json:"Status"`
	CreateDate  string `json:"CreateDate"`
	// Encrypted says whether the stored secret is sealed with a key.
	Encrypted bool `json:"SecretEncrypted"`
}

func date(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func toUser(u meta.User) userJSON {
	return userJSON{AccountID: u.Account, UserName: u.Name, Arn: identity.UserARN(u.Account, u.Name), CreateDate: date(u.Created)}
}

type runFunc func(ctx context.Context, c *adminCmd, m *identity.Manager, s meta.AccessStore) (any, error)

var adminCommands = map[string]runFunc{
	"create-account": func(ctx context.Context, c *adminCmd, m *identity.Manager, _ meta.AccessStore) (any, error) {
		a, err := m.CreateAccount(ctx, *c.account, *c.name)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Account": accountJSON{a.ID, a.Name, date(a.Created)}}, nil
	},
	"list-accounts": func(ctx context.Context, _ *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		as, err := s.ListAccounts(ctx)
		out := []accountJSON{}
		for _, a := range as {
			out = append(out, accountJSON{a.ID, a.Name, date(a.Created)})
		}
		return map[string]any{"Accounts": out}, err
	},
	"delete-account": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("account-id"); err != nil {
			return nil, err
		}
		return nil, notFound(s.DeleteAccount(ctx, *c.account), "account "+*c.account)
	},
	"create-user": func(ctx context.Context, c *adminCmd, m *identity.Manager, _ meta.AccessStore) (any, error) {
		if err := c.need("account-id", "user-name"); err != nil {
			return nil, err
		}
		u, err := m.CreateUser(ctx, *c.account, *c.user)
		if err != nil {
			return nil, err
		}
		return map[string]any{"User": toUser(u)}, nil
	},
	"list-users": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		us, err := s.ListUsers(ctx, *c.account)
		out := []userJSON{}
		for _, u := range us {
			out = append(out, toUser(u))
		}
		return map[string]any{"Users": out}, err
	},
	"delete-user": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("account-id", "user-name"); err != nil {
			return nil, err
		}
		return nil, notFound(s.DeleteUser(ctx, *c.account, *c.user), "user "+*c.user+" in account "+*c.account)
	},
	"create-access-key": func(ctx context.Context, c *adminCmd, m *identity.Manager, _ meta.AccessStore) (any, error) {
		if err := c.need("account-id"); err != nil {
			return nil, err
		}
		if !m.Sealer.Encrypts() {
			fmt.Fprintln(os.Stderr, "wharf admin: warning: no secrets key configured; the secret is stored in clear in the data directory")
		}
		k, err := m.CreateAccessKey(ctx, *c.account, *c.user)
		if err != nil {
			return nil, err
		}
		return map[string]any{"AccessKey": k}, nil
	},
	"list-access-keys": func(ctx context.Context, c *adminCmd, m *identity.Manager, s meta.AccessStore) (any, error) {
		ks, err := s.ListAccessKeys(ctx, *c.account, *c.user)
		out := []keyJSON{}
		for _, k := range ks {
			arn := identity.RootARN(k.Account)
			if k.User != "" {
				arn = identity.UserARN(k.Account, k.User)
			}
			out = append(out, keyJSON{AccessKeyID: k.ID, AccountID: k.Account, UserName: k.User, Arn: arn, Status: k.Status,
				CreateDate: date(k.Created), Encrypted: !strings.HasPrefix(k.Secret, "plain:")})
		}
		return map[string]any{"AccessKeyMetadata": out}, err
	},
	"update-access-key": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("access-key-id", "status"); err != nil {
			return nil, err
		}
		if *c.status != meta.KeyActive && *c.status != meta.KeyInactive {
			return nil, fmt.Errorf("--status must be %s or %s", meta.KeyActive, meta.KeyInactive)
		}
		return nil, notFound(s.SetAccessKeyStatus(ctx, *c.keyID, *c.status), "access key "+*c.keyID)
	},
	"delete-access-key": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("access-key-id"); err != nil {
			return nil, err
		}
		return nil, notFound(s.DeleteAccessKey(ctx, *c.keyID), "access key "+*c.keyID)
	},
	"put-user-policy": func(ctx context.Context, c *adminCmd, m *identity.Manager, _ meta.AccessStore) (any, error) {
		if err := c.need("account-id", "user-name", "policy-name", "policy-document"); err != nil {
			return nil, err
		}
		doc, err := c.policyDocument()
		if err != nil {
			return nil, err
		}
		return nil, m.PutUserPolicy(ctx, *c.account, *c.user, *c.policyName, doc)
	},
	"delete-user-policy": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("account-id", "user-name", "policy-name"); err != nil {
			return nil, err
		}
		return nil, notFound(s.DeleteUserPolicy(ctx, *c.account, *c.user, *c.policyName), "policy "+*c.policyName+" of user "+*c.user)
	},
	"list-user-policies": func(ctx context.Context, c *adminCmd, _ *identity.Manager, s meta.AccessStore) (any, error) {
		if err := c.need("account-id", "user-name"); err != nil {
			return nil, err
		}
		ps, err := s.ListUserPolicies(ctx, *c.account, *c.user)
		type policyJSON struct {
			PolicyName     string          `json:"PolicyName"`
			PolicyDocument json.RawMessage `json:"PolicyDocument"`
			UpdateDate     string          `json:"UpdateDate"`
		}
		out := []policyJSON{}
		for _, p := range ps {
			doc := json.RawMessage(p.Document)
			if !json.Valid(doc) {
				doc, _ = json.Marshal(p.Document)
			}
			out = append(out, policyJSON{p.Name, doc, date(p.Updated)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].PolicyName < out[j].PolicyName })
		return map[string]any{"PolicyNames": out}, err
	},
	"reseal": func(ctx context.Context, c *adminCmd, m *identity.Manager, store meta.AccessStore) (any, error) {
		var old []*identity.Sealer
		if *c.oldKeyFile != "" {
			k, err := identity.LoadKey(*c.oldKeyFile)
			if err != nil {
				return nil, err
			}
			s, err := identity.NewSealer(k)
			if err != nil {
				return nil, err
			}
			old = append(old, s)
		}
		if !m.Sealer.Encrypts() {
			return nil, errors.New("no secrets key configured: set --secrets-key-file or WHARF_SECRETS_KEY")
		}
		n, err := m.Reseal(ctx, old...)
		if err != nil {
			return map[string]any{"Resealed": n, "KeyId": m.Sealer.KeyID()}, err
		}
		// Webhook signing secrets are sealed with the same key.
		hooks, err := webhook.Reseal(ctx, store, m.Sealer, old...)
		if err != nil {
			return map[string]any{"Resealed": n, "KeyId": m.Sealer.KeyID()}, fmt.Errorf("webhook secrets: %w", err)
		}
		// The generated administrator's file, if the data directory has
		// one, is the last secret outside the store.
		adminFile, err := identity.ResealAdmin(*c.dataDir, m.Sealer, old...)
		if err != nil {
			err = fmt.Errorf("%s: %w", identity.AdminFileName, err)
		}
		return map[string]any{"Resealed": n, "WebhookSecretsResealed": hooks, "AdminCredentialsResealed": adminFile, "KeyId": m.Sealer.KeyID()}, err
	},
}

func notFound(err error, what string) error {
	if errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("no %s", what)
	}
	return err
}
