use cert_parse as _;
