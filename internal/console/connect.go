package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// snippet is one block to copy: a shell command, or a file's contents.
type snippet struct {
	Label string
	File  string // where it goes, when it is a file
	Text  string
}

// connectFormat is how to configure one format's client.
type connectFormat struct {
	Format   model.Format
	Title    string
	Endpoint string
	Error    string
	Snippets []snippet
}

type connectData struct {
	Loc      repoLoc
	Endpoint string // the control plane (aws --endpoint-url)
	Formats  []connectFormat
}

// connectFormats are the formats the Connect page covers, in its order.
var connectFormats = []struct {
	f     model.Format
	title string
}{
	{model.FormatNpm, "npm"}, {model.FormatPyPI, "pip and twine (Python)"}, {model.FormatMaven, "Maven"},
	{model.FormatCargo, "Cargo"}, {model.FormatRuby, "RubyGems and Bundler"}, {model.FormatSwift, "Swift"},
	{model.FormatNuGet, "NuGet"}, {model.FormatGeneric, "Generic"},
}

// connectPage shows, for each format, the exact commands and files that
// configure its client against this repository, filled in with the
// endpoints GetRepositoryEndpoint returns.
func (c *Console) connectPage(w http.ResponseWriter, r *http.Request, s *session) {
	l := locOf(r)
	data := connectData{Loc: l, Endpoint: c.svc.PublicURL()}
	for _, cf := range connectFormats {
		out := connectFormat{Format: cf.f, Title: cf.title}
		ep, err := c.svc.GetRepositoryEndpoint(r.Context(), s.Caller, service.GetRepositoryEndpointInput{
			RepositoryInput: service.RepositoryInput{Domain: l.Domain, DomainOwner: l.Owner, Repository: l.Repo}, Format: cf.f})
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) {
				c.fail(w, r, s, err)
				return
			}
			out.Error = me.Message
		} else {
			out.Endpoint = ep.RepositoryEndpoint
			out.Snippets = snippets(cf.f, l, data.Endpoint, ep.RepositoryEndpoint)
		}
		data.Formats = append(data.Formats, out)
	}
	c.render(w, r, http.StatusOK, "connect", page{Title: "Connect to " + l.Repo, Session: s, Crumbs: l.crumbs(crumb{"Connect", ""}), Data: data})
}

// snippets are the configuration for format f, as the AWS documentation
// gives it for CodeArtifact, pointed at this server.
func snippets(f model.Format, l repoLoc, api, endpoint string) []snippet {
	env := "export AWS_ENDPOINT_URL=" + api
	common := " --domain " + l.Domain + " --domain-owner " + l.Owner + " --repository " + l.Repo
	token := "export CODEARTIFACT_AUTH_TOKEN=$(aws codeartifact get-authorization-token --domain " + l.Domain +
		" --domain-owner " + l.Owner + " --query authorizationToken --output text)"
	login := func(tool string) string { return env + "\naws codeartifact login --tool " + tool + common }
	switch f {
	case model.FormatNpm:
		return []snippet{{Label: "Configure npm (writes ~/.npmrc)", Text: login("npm")}}
	case model.FormatPyPI:
		return []snippet{
			{Label: "Configure pip (writes pip.conf)", Text: login("pip")},
			{Label: "Configure twine (writes ~/.pypirc), then upload", Text: login("twine") + "\ntwine upload --repository codeartifact dist/*"},
		}
	case model.FormatSwift:
		return []snippet{{Label: "Configure SwiftPM (needs the server on https)", Text: login("swift")}}
	case model.FormatNuGet:
		return []snippet{{Label: "Configure NuGet or dotnet", Text: login("nuget")}}
	case model.FormatMaven:
		return []snippet{
			{Label: "Token for Maven", Text: env + "\n" + token},
			{Label: "Credentials", File: "~/.m2/settings.xml", Text: `<settings>
  <servers>
    <server>
      <id>` + l.Domain + `-` + l.Repo + `</id>
      <username>aws</username>
      <password>${env.CODEARTIFACT_AUTH_TOKEN}</password>
    </server>
  </servers>
  <profiles>
    <profile>
      <id>` + l.Domain + `-` + l.Repo + `</id>
      <repositories>
        <repository>
          <id>` + l.Domain + `-` + l.Repo + `</id>
          <url>` + endpoint + `</url>
        </repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>` + l.Domain + `-` + l.Repo + `</activeProfile>
  </activeProfiles>
</settings>`},
			{Label: "Publishing, in pom.xml", File: "pom.xml", Text: `<distributionManagement>
  <repository>
    <id>` + l.Domain + `-` + l.Repo + `</id>
    <name>` + l.Domain + `-` + l.Repo + `</name>
    <url>` + endpoint + `</url>
  </repository>
</distributionManagement>`},
		}
	case model.FormatCargo:
		return []snippet{{Label: "Registry (the aws CLI needs AWS_ENDPOINT_URL=" + api + ")", File: "~/.cargo/config.toml", Text: `[registries.` + l.Repo + `]
index = "sparse+` + endpoint + `"
credential-provider = "cargo:token-from-stdout aws codeartifact get-authorization-token --domain ` + l.Domain + ` --domain-owner ` + l.Owner + ` --query authorizationToken --output text"

[registry]
default = "` + l.Repo + `"`}}
	case model.FormatRuby:
		host := strings.TrimSuffix(endpoint, "/")
		auth := host
		if u, err := url.Parse(host); err == nil {
			auth = u.Scheme + "://aws:$CODEARTIFACT_AUTH_TOKEN@" + u.Host + u.EscapedPath()
		}
		return []snippet{
			{Label: "Token and host", Text: env + "\n" + token + "\nexport RUBYGEMS_HOST=" + host},
			{Label: "gem push credentials", File: "~/.gem/credentials", Text: "mkdir -p ~/.gem && echo \":codeartifact_api_key: Bearer $CODEARTIFACT_AUTH_TOKEN\" >> ~/.gem/credentials && chmod 600 ~/.gem/credentials\ngem push --key codeartifact_api_key my_gem-1.0.0.gem"},
			{Label: "gem install", Text: "gem install my_gem --clear-sources --source \"" + auth + "/\""},
			{Label: "Bundler (Gemfile: source \"" + host + "/\")", Text: "bundle config " + host + " aws:$CODEARTIFACT_AUTH_TOKEN"},
		}
	case model.FormatGeneric:
		return []snippet{{Label: "Publish and download with the aws CLI", Text: env + `
aws codeartifact publish-package-version` + common + ` --format generic \
  --namespace my-ns --package my-package --package-version 1.0.0 \
  --asset-content file.tgz --asset-name file.tgz --asset-sha256 "$(sha256sum file.tgz | cut -d' ' -f1)"
aws codeartifact get-package-version-asset` + common + ` --format generic \
  --namespace my-ns --package my-package --package-version 1.0.0 --asset file.tgz file.tgz`}}
	}
	return nil
}
