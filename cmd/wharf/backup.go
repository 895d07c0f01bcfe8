package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wharf-dev/wharf/internal/backup"
)

// backupCmd runs "wharf backup": an online backup of an embedded data
// directory, taken while the server runs on it.
func backupCmd(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dataDir := fs.String("data-dir", env("WHARF_DATA_DIR", "wharf-data"), "data directory to back up (WHARF_DATA_DIR); a server may be running on it")
	to := fs.String("to", "", "directory to write the backup to; must not exist or be empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q", fs.Arg(0))
	}
	if *to == "" {
		return errors.New("backup: --to is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := backup.Backup(ctx, *dataDir, *to)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return printJSON(m)
}

// restoreCmd runs "wharf restore": a backup into an empty data directory.
func restoreCmd(args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup directory written by wharf backup")
	dataDir := fs.String("data-dir", "", "data directory to restore into; must not exist or be empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("restore: unexpected argument %q", fs.Arg(0))
	}
	if *from == "" || *dataDir == "" {
		return errors.New("restore: --from and --data-dir are required")
	}
	m, err := backup.Restore(context.Background(), *from, *dataDir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return printJSON(m)
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
