package publiccache

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// HTTP returns the FetchFunc most connections need: a GET of urlOf(key)
// with client, carrying header (an Accept, say) and the cached copy's
// validators. 200 is the document (more than maxBytes is an error), 304
// NotModified, 404 and 410 NotFound; anything else, like a transport
// error, is a failure of the registry.
func HTTP(client *http.Client, urlOf func(key string) string, header http.Header, maxBytes int64) FetchFunc {
	return func(ctx context.Context, key string, prev Validators) (Response, error) {
		u := urlOf(key)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return Response{}, err
		}
		for k, vs := range header {
			req.Header[k] = vs
		}
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
		resp, err := client.Do(req)
		if err != nil {
			return Response{}, fmt.Errorf("GET %s: %w", u, err)
		}
		defer resp.Body.Close()
		v := Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
		switch resp.StatusCode {
		case http.StatusOK:
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
			if err != nil {
				return Response{}, fmt.Errorf("GET %s: %w", u, err)
			}
			if int64(len(body)) > maxBytes {
				return Response{}, fmt.Errorf("GET %s: document larger than %d bytes", u, maxBytes)
			}
			return Response{Body: body, Validators: v}, nil
		case http.StatusNotModified:
			return Response{NotModified: true, Validators: v}, nil
		case http.StatusNotFound, http.StatusGone:
			return Response{NotFound: true}, nil
		}
		return Response{}, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
}
