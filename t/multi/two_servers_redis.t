# Several servers over Redis: t/multi/two_servers.t once more, with
# DeskAuthCache redis:HOST:PORT (mod_socache_redis) and a redis-server the
# test starts on loopback on a free port instead of memcached. Skipped when
# redis-server or mod_socache_redis.so is missing.
use strict;
use warnings;
use FindBin;

$ENV{DESKAUTH_MULTI_CACHE} = 'redis';
exec { $^X } $^X, "$FindBin::Bin/two_servers.t" or die "two_servers.t: $!\n";
