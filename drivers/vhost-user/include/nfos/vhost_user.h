/* vhost-user: a virtio transport for linuxu. The image is the front-end
 * (the "driver" side, as DPDK's virtio_user is) of a vhost-user backend
 * (dpdk-testpmd's net_vhost, OVS-DPDK, ...) listening on a UNIX socket:
 *
 *     netdev.dev=vhost-user:/path/to/socket [netdev.mac=02:00:00:00:00:01]
 *
 * The backend maps the image's memory (plat_mem_share: one memfd) and
 * reads and writes the rings and packet buffers in place; drivers/virtio-net
 * drives the device exactly as over pci. Device addresses are the
 * process's virtual addresses: the memory table maps them 1:1.
 *
 * Probe connects, sends SET_OWNER, reads the backend's features and
 * negotiates protocol features (REPLY_ACK when offered, so every later
 * message is confirmed). SET_FEATURES goes out with FEATURES_OK; the memory
 * table and the rings (CALL, NUM, BASE, ADDR, KICK, ENABLE) at DRIVER_OK.
 * Kicks are eventfd writes, made only when the ring asks for one; call
 * eventfds exist because backends insist on them, and are never read.
 * Whatever fails (no backend listening, a refused feature or message, a
 * bad argument) is said in one line and stops the boot with status 2.
 *
 * There is no config space over vhost-user: the transport presents one,
 * with the MAC from netdev[N].mac= (default 02:00:00:00:76:N for port N)
 * and the link up, and offers MAC and STATUS itself, as virtio_user does.
 *
 * Queue pairs: with the MQ protocol feature the backend says how many it
 * has (GET_QUEUE_NUM); more than one, and the transport offers MQ and
 * CTRL_VQ with max_virtqueue_pairs that many (at most NETDEV_MAX_QUEUES)
 * and plays the control queue itself, as QEMU and virtio_user do (the
 * backend never sees it): VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET N enables the
 * rings of pairs 0 .. N-1 (SET_VRING_ENABLE), the others stay disabled.
 * Which rx ring the backend fills is its choice (DPDK's net_vhost: the
 * queue its peer sent on).
 *
 * The backend is trusted with the memory it is handed (the protocol's
 * design); replies and ring entries are checked against a buggy one: a bad
 * reply is one line and status 2, a whole reply must come within 5 s.
 *
 * How to run it against dpdk-testpmd, and the trust model: docs/VHOST-USER.md.
 *
 * This header is the wire contract (the vhost-user specification, "Front-
 * end message types"), shared with tests that play the backend. */
#ifndef NFOS_VHOST_USER_H
#define NFOS_VHOST_USER_H

#include <stdint.h>
#include <nfos/compiler.h>

#define VHOST_USER_VERSION             0x1
#define VHOST_USER_VERSION_MASK        0x3
#define VHOST_USER_REPLY               0x4 /* flags: this is a reply */
#define VHOST_USER_NEED_REPLY          0x8 /* flags: ack this (REPLY_ACK) */
#define VHOST_USER_VRING_NOFD          0x100
#define VHOST_USER_MAX_REGIONS         8
#define VHOST_USER_F_PROTOCOL_FEATURES 30

#define VHOST_USER_PROTOCOL_F_MQ        0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3

enum vhost_user_request {
    VHOST_USER_GET_FEATURES = 1,
    VHOST_USER_SET_FEATURES = 2,
    VHOST_USER_SET_OWNER = 3,
    VHOST_USER_RESET_OWNER = 4,
    VHOST_USER_SET_MEM_TABLE = 5,
    VHOST_USER_SET_VRING_NUM = 8,
    VHOST_USER_SET_VRING_ADDR = 9,
    VHOST_USER_SET_VRING_BASE = 10,
    VHOST_USER_GET_VRING_BASE = 11,
    VHOST_USER_SET_VRING_KICK = 12,
    VHOST_USER_SET_VRING_CALL = 13,
    VHOST_USER_GET_PROTOCOL_FEATURES = 15,
    VHOST_USER_SET_PROTOCOL_FEATURES = 16,
    VHOST_USER_GET_QUEUE_NUM = 17,
    VHOST_USER_SET_VRING_ENABLE = 18,
};

struct vhost_user_vring_state {
    uint32_t index;
    uint32_t num;
};

struct vhost_user_vring_addr {
    uint32_t index;
    uint32_t flags;
    uint64_t desc_user_addr;
    uint64_t used_user_addr;
    uint64_t avail_user_addr;
    uint64_t log_guest_addr;
};

struct vhost_user_mem_region {
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t userspace_addr;
    uint64_t mmap_offset;
};

struct vhost_user_memory {
    uint32_t nregions;
    uint32_t padding;
    struct vhost_user_mem_region regions[VHOST_USER_MAX_REGIONS];
};

/* A message: a 12-byte header, then size bytes of payload. File
 * descriptors (memory regions, eventfds) travel as SCM_RIGHTS. */
struct vhost_user_msg {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
    union {
        uint64_t u64;
        struct vhost_user_vring_state state;
        struct vhost_user_vring_addr addr;
        struct vhost_user_memory memory;
    } payload;
} __nfos_packed;

#define VHOST_USER_HDR_LEN 12

#endif /* NFOS_VHOST_USER_H */
