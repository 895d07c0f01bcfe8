#!/usr/bin/env bash
# The whole test suite: static checks (gofmt, go mod tidy, go vet,
# staticcheck), then every Go test (unit, contract, end-to-end with real
# clients) under the race detector.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed:"; echo "$unformatted"; exit 1
fi
if ! go mod tidy -diff >/dev/null; then
  echo "go.mod/go.sum are not tidy; run: go mod tidy"; go mod tidy -diff || true; exit 1
fi
go vet ./...
# staticcheck, pinned (.ci/run installs this version into .tools); a
# missing or other-version binary falls back to go run of the pin.
staticcheck_version=0.8.2
if [ -x .tools/staticcheck ] && .tools/staticcheck -version | grep -qF "($staticcheck_version)"; then
  .tools/staticcheck ./...
else
  go run "honnef.co/go/tools/cmd/staticcheck@v$staticcheck_version" ./...
fi
go test -race -count=1 -timeout 20m ./... "$@"
