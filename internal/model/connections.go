package model

// ExternalConnection is one of CodeArtifact's public external connections
// and the format of the packages its registry serves.
type ExternalConnection struct {
	Name   string
	Format Format
}

// ExternalConnections lists the connections CodeArtifact offers, in the
// service model's order. Which of them Wharf can reach is up to the
// formats (internal/format): each declares the connections it proxies.
var ExternalConnections = []ExternalConnection{
	{"public:npmjs", FormatNpm},
	{"public:nuget-org", FormatNuGet},
	{"public:pypi", FormatPyPI},
	{"public:maven-central", FormatMaven},
	{"public:maven-googleandroid", FormatMaven},
	{"public:maven-gradleplugins", FormatMaven},
	{"public:maven-commonsware", FormatMaven},
	{"public:maven-clojars", FormatMaven},
	{"public:ruby-gems-org", FormatRuby},
	{"public:crates-io", FormatCargo},
}

// ExternalConnectionFormat is the format a public connection serves, or
// "" for a name CodeArtifact does not offer.
func ExternalConnectionFormat(name string) Format {
	for _, c := range ExternalConnections {
		if c.Name == name {
			return c.Format
		}
	}
	return ""
}
