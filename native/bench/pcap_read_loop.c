/* The floor no decoder beats: a plain libpcap read loop over a capture file,
 * touching nothing but the record headers. Prints one JSON line:
 *   {"packets":N,"bytes":B,"seconds":S}
 * Built and run by `npm run bench` (packages/tools/src/bench/decode.ts). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char** argv) {
  char err[PCAP_ERRBUF_SIZE];
  if (argc < 2) {
    fprintf(stderr, "usage: %s capture\n", argv[0]);
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pcap_t* p = pcap_open_offline(argv[1], err);
  if (!p) {
    fprintf(stderr, "%s\n", err);
    return 3;
  }
  struct pcap_pkthdr* h;
  const u_char* d;
  unsigned long long packets = 0, bytes = 0, sum = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    packets++;
    bytes += h->len;
    sum += d[0]; /* read one byte so the data is really brought in */
  }
  pcap_close(p);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"checksum\":%llu}\n", packets, bytes, s, sum);
  return rc == -2 ? 0 : 1;
}
