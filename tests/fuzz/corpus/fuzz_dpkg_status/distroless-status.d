Package: libssl3
Version: 3.0.11-1~deb12u2
Architecture: amd64
Source: openssl
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project.
 .
 More.
