{
  "targets": [
    {
      "target_name": "gnpay",
      "sources": [
        "<!@(ls -1 native/decode/*.cc native/engine/*.cc native/source/*.cc native/addon/*.cc)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/decode",
        "native/engine",
        "native/source"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17"],
      "cflags": ["-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpcap"],
      "conditions": [
        # the engine clears small structs per frame (IpPacket, LinkResult...): GCC's
        # default for such a memset is rep stos, whose start-up cost made it a tenth
        # of the decoding thread's samples; SSE stores instead
        ["target_arch=='x64'", {
          "cflags_cc": ["-mmemset-strategy=vector_loop:256:noalign,libcall:-1:noalign"]
        }]
      ]
    }
  ]
}
