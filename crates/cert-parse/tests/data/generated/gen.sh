#!/bin/sh
# Regenerates the keys and certificates used by tests/integration/checks.rs
# (OpenSSL 3 CLI). Dates start "now" and run for years: the tests derive
# their check times from each certificate's own validity, never a clock.
set -eu
cd "$(dirname "$0")"
D=3650
req() { openssl req -new -key "$1" -subj "$2" -out tmp.csr; }
selfsign() { # key subj out [md]
  openssl req -x509 -new -key "$1" -subj "$2" -days $D -set_serial 1 ${4:+-$4} \
    -addext "subjectAltName=DNS:$(echo "$2" | sed 's/.*CN=//'),IP:192.0.2.1" -out "$3"; }
ca_ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign"
leaf_ext="basicConstraints=critical,CA:FALSE
subjectAltName=DNS:leaf.example.com,DNS:*.example.com,IP:192.0.2.10,IP:2001:db8::1"
sign() { # csr-key subj issuer-cert issuer-key ext out serial [md]
  req "$1" "$2"
  printf '%s\n' "$5" > tmp.ext
  openssl x509 -req -in tmp.csr -CA "$3" -CAkey "$4" -days $D -set_serial "$7" ${8:+-$8} \
    -extfile tmp.ext -out "$6"
}

# Keys: every type and encoding.
openssl genrsa -traditional -out rsa-pkcs1.key 2048
openssl pkcs8 -topk8 -nocrypt -in rsa-pkcs1.key -out rsa-pkcs8.key
for c in P-256:prime256v1 P-384:secp384r1 P-521:secp521r1; do
  n=$(echo $c | cut -d: -f1 | tr 'A-Z' 'a-z' | tr -d -); curve=$(echo $c | cut -d: -f2)
  openssl ecparam -name $curve -genkey -noout -out ec-$n-sec1.key
  openssl ec -in ec-$n-sec1.key -no_public -out ec-$n-sec1-nopub.key
  openssl pkcs8 -topk8 -nocrypt -in ec-$n-sec1.key -out ec-$n-pkcs8.key
done
openssl ecparam -name prime256v1 -genkey -out ec-p256-with-params.key   # EC PARAMETERS + EC PRIVATE KEY
openssl genpkey -algorithm ed25519 -out ed25519-pkcs8.key
# Second keys of each type, for mismatches.
openssl genrsa -traditional -out other-rsa.key 2048
openssl ecparam -name prime256v1 -genkey -noout -out other-p256.key
openssl genpkey -algorithm ed25519 -out other-ed25519.key
# Encrypted keys.
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:secret -in rsa-pkcs1.key -out encrypted-pkcs8.key
openssl rsa -aes128 -traditional -passout pass:secret -in rsa-pkcs1.key -out encrypted-legacy.key

# Self-signed leaves, one per key type.
selfsign rsa-pkcs1.key "/C=CN/O=Example/CN=rsa.example.com" rsa.crt sha256
selfsign ec-p256-sec1.key "/C=CN/O=Example/CN=p256.example.com" ec-p256.crt sha256
selfsign ec-p384-sec1.key "/C=CN/O=Example/CN=p384.example.com" ec-p384.crt sha384
selfsign ec-p521-sec1.key "/C=CN/O=Example/CN=p521.example.com" ec-p521.crt sha512
selfsign ed25519-pkcs8.key "/C=CN/O=Example/CN=ed25519.example.com" ed25519.crt

# A three-certificate RSA chain: root -> intermediate -> leaf (leaf key rsa-pkcs1.key).
openssl genrsa -out root.key 2048
openssl req -x509 -new -key root.key -subj "/C=CN/O=Example Root/CN=Example Root CA" -days $D -set_serial 100 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out root.crt
openssl genrsa -out intermediate.key 2048
sign intermediate.key "/C=CN/O=Example/CN=Example Intermediate CA" root.crt root.key "$ca_ext" intermediate.crt 200
sign rsa-pkcs1.key "/C=CN/O=Example Tech/OU=API Gateway/CN=leaf.example.com" intermediate.crt intermediate.key "$leaf_ext" leaf.crt 300
# A foreign intermediate: same subject name, another key, another root.
openssl genrsa -out foreign-root.key 2048
openssl req -x509 -new -key foreign-root.key -subj "/C=CN/O=Example Root/CN=Example Root CA" -days $D -set_serial 101 \
  -addext "basicConstraints=critical,CA:TRUE" -out foreign-root.crt
openssl genrsa -out foreign-intermediate.key 2048
sign foreign-intermediate.key "/C=CN/O=Example/CN=Example Intermediate CA" foreign-root.crt foreign-root.key "$ca_ext" foreign-intermediate.crt 201
# An unrelated intermediate (different name).
sign foreign-intermediate.key "/C=CN/O=Other/CN=Other Intermediate CA" foreign-root.crt foreign-root.key "$ca_ext" other-intermediate.crt 202
# A P-521 chain signed with ECDSA-SHA512 (not in ring: RustCrypto path).
openssl req -x509 -new -key ec-p521-sec1.key -subj "/CN=P-521 Root" -days $D -set_serial 400 -sha512 \
  -addext "basicConstraints=critical,CA:TRUE" -out p521-root.crt
sign ec-p256-sec1.key "/CN=p256-under-p521.example.com" p521-root.crt ec-p521-sec1.key "$leaf_ext" p256-under-p521.crt 401 sha512
# An end-entity (not CA) certificate for the keystore CA check is leaf.crt.
rm -f tmp.csr tmp.ext root.key intermediate.key foreign-root.key foreign-intermediate.key
# Independent fingerprint oracle for the CA check.
openssl x509 -in root.crt -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' > root.crt.sha256

# P-224 and SM2 keys: their public key is derived from the scalar, as for
# the other curves (added after the set above; run these lines alone to
# keep the rest).
openssl ecparam -name secp224r1 -genkey -noout -out ec-p224-sec1.key
openssl ec -in ec-p224-sec1.key -no_public -out ec-p224-sec1-nopub.key
openssl ecparam -name secp224r1 -genkey -noout -out other-p224.key
selfsign ec-p224-sec1.key "/C=CN/O=Example/CN=p224.example.com" ec-p224.crt sha256
openssl genpkey -algorithm SM2 -out sm2-pkcs8.key
openssl pkey -in sm2-pkcs8.key -pubout -outform DER | tail -c 65 | od -An -tx1 | tr -d ' \n' > sm2-pkcs8.pub.hex
