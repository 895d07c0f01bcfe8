package service

// OnDownload registers the function told the version ID of every asset
// opened for a download, by a package manager or GetPackageVersionAsset.
// It runs on the download path, so it must only count (see
// internal/downloads), never write.
func (s *Service) OnDownload(fn func(versionID int64)) { s.downloaded = fn }

func (s *Service) countDownload(versionID int64) {
	if s.downloaded != nil {
		s.downloaded(versionID)
	}
}
