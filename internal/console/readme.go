package console

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// readmeMarkdown renders package readmes. goldmark's defaults are the
// safe ones and are kept: raw HTML in the markdown is dropped (not
// passed through), and links and images with dangerous URLs (javascript:,
// vbscript:, file:, data: other than images) lose their URL. The page's
// Content-Security-Policy is the second line: no inline script runs even
// if some markup got through.
var readmeMarkdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// maxReadme bounds how much of a readme is rendered.
const maxReadme = 512 << 10

// renderReadme renders a readme's markdown to safe HTML, or shows it as
// escaped text if it cannot be rendered.
func renderReadme(src string) template.HTML {
	if len(src) > maxReadme {
		src = src[:maxReadme]
	}
	var b bytes.Buffer
	if err := readmeMarkdown.Convert([]byte(src), &b); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>")
	}
	// Trusted as HTML because goldmark without html.WithUnsafe has
	// dropped raw HTML and unsafe URLs.
	return template.HTML(b.String())
}
