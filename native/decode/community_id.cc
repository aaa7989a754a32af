#include "community_id.h"

#include <cstring>

#include "sha1.h"

namespace gnpay {
namespace {

// ICMP types with a counterpart (Zeek's ICMP model, as the spec's reference code)
int icmp_counterpart(uint16_t type) {
  switch (type) {
    case 8:
      return 0;  // echo -> echo reply
    case 0:
      return 8;
    case 13:
      return 14;  // timestamp
    case 14:
      return 13;
    case 15:
      return 16;  // information
    case 16:
      return 15;
    case 10:
      return 9;  // router solicitation -> advertisement
    case 9:
      return 10;
    case 17:
      return 18;  // address mask
    case 18:
      return 17;
    default:
      return -1;
  }
}
int icmp6_counterpart(uint16_t type) {
  switch (type) {
    case 128:
      return 129;  // echo request -> reply
    case 129:
      return 128;
    case 130:
      return 131;  // MLD listener query -> report
    case 131:
      return 130;
    case 133:
      return 134;  // router solicitation -> advertisement
    case 134:
      return 133;
    case 135:
      return 136;  // neighbor solicitation -> advertisement
    case 136:
      return 135;
    case 139:
      return 140;  // who-are-you request -> reply
    case 140:
      return 139;
    case 144:
      return 145;  // home agent address discovery request -> reply
    case 145:
      return 144;
    default:
      return -1;
  }
}

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

size_t community_id_v1(const IpAddr& src, const IpAddr& dst, uint8_t proto, uint16_t sport, uint16_t dport,
                       uint16_t seed, char* out) {
  out[0] = 0;
  if (!src.is_set() || src.family != dst.family) return 0;
  const size_t alen = src.family == 4 ? 4 : 16;
  const uint8_t* a = src.family == 4 ? src.b + 12 : src.b;
  const uint8_t* b = dst.family == 4 ? dst.b + 12 : dst.b;
  bool ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
  bool one_way = false;
  if (proto == 1 || proto == 58) {
    int other = proto == 1 ? icmp_counterpart(sport) : icmp6_counterpart(sport);
    if (other >= 0)
      dport = uint16_t(other);
    else
      one_way = true;
  }
  int c = std::memcmp(a, b, alen);
  bool ordered = c < 0 || (c == 0 && (!ports || sport < dport));
  if (!one_way && !ordered) {
    const uint8_t* t = a;
    a = b;
    b = t;
    uint16_t p = sport;
    sport = dport;
    dport = p;
  }
  uint8_t in[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  in[n++] = uint8_t(seed >> 8);
  in[n++] = uint8_t(seed);
  std::memcpy(in + n, a, alen);
  n += alen;
  std::memcpy(in + n, b, alen);
  n += alen;
  in[n++] = proto;
  in[n++] = 0;
  if (ports) {
    in[n++] = uint8_t(sport >> 8);
    in[n++] = uint8_t(sport);
    in[n++] = uint8_t(dport >> 8);
    in[n++] = uint8_t(dport);
  }
  Sha1 h;
  h.update(in, n);
  uint8_t d[kSha1Len + 1] = {0};  // one zero byte past the digest for the last base64 group
  h.finish(d);
  char* o = out;
  *o++ = '1';
  *o++ = ':';
  for (size_t i = 0; i < kSha1Len; i += 3) {
    uint32_t v = (uint32_t(d[i]) << 16) | (uint32_t(d[i + 1]) << 8) | (i + 2 < kSha1Len ? d[i + 2] : 0);
    *o++ = kB64[(v >> 18) & 63];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = i + 2 < kSha1Len ? kB64[v & 63] : '=';
  }
  *o = 0;
  return size_t(o - out);
}

}  // namespace gnpay
