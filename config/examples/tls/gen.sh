#!/bin/sh
# DEMO ONLY: regenerates the throwaway CA, server and client certificates used by
# config/examples/mllp-tls.toml and its test. These keys are public (they are in git);
# never use them, or certificates they sign, for anything but local tests.
set -eu
cd "$(dirname "$0")"
days=3650
subj="/O=Junction demo (NOT FOR PRODUCTION)"
openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "$subj/CN=Junction demo CA" \
    -keyout ca.key -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
for who in server client; do
    if [ $who = server ]; then
        ext="subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
    else
        ext="extendedKeyUsage=clientAuth"
    fi
    openssl req -newkey rsa:2048 -nodes -subj "$subj/CN=junction-demo-$who" \
        -keyout $who.key -out $who.csr
    printf '%s\n' "$ext" > $who.ext
    openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
        -extfile $who.ext -out $who.pem
    rm -f $who.csr $who.ext
done
rm -f ca.srl ca.key   # nothing more will be signed; rerun this script for new ones
