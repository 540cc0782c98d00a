# Prints the known frames of net_test_util.c (kf_*): the bytes and checksums
# come from this independent computation, not from lib/net. Run by hand:
#   python3 lib/net/tests/frames.py
import struct
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return ~s&0xffff
def ip(a): return bytes(int(x) for x in a.split('.'))
A=bytes.fromhex('020000000001'); B=bytes.fromhex('525400123456'); BC=b'\xff'*6
def eth(dst,src,t,vid=None):
    if vid is None: return dst+src+struct.pack('!H',t)
    return dst+src+struct.pack('!HHH',0x8100,vid,t)
def ipv4(proto,src,dst,payload,ident=0x1c46,flags=0x4000,ttl=64,opts=b''):
    ihl=5+len(opts)//4
    h=struct.pack('!BBHHHBBH4s4s',0x40|ihl,0,20+len(opts)+len(payload),ident,flags,ttl,proto,0,ip(src),ip(dst))+opts
    c=csum(h); h=h[:10]+struct.pack('!H',c)+h[12:]
    return h+payload, c
def udp(src,dst,sp,dp,pl,do=True):
    u=struct.pack('!HHHH',sp,dp,8+len(pl),0)+pl
    c=0
    if do:
        ph=ip(src)+ip(dst)+struct.pack('!BBH',0,17,len(u))
        c=csum(ph+u) or 0xffff
    return u[:6]+struct.pack('!H',c)+u[8:], c
def icmp(t,ident,seq,pl):
    m=struct.pack('!BBHHH',t,0,0,ident,seq)+pl
    c=csum(m); return m[:2]+struct.pack('!H',c)+m[4:], c
def carr(name,b,comment):
    print('/* %s */'%comment)
    print('const uint8_t kf_%s[%d] = {'%(name,len(b)))
    for i in range(0,len(b),12):
        print('    '+', '.join('0x%02x'%x for x in b[i:i+12])+',')
    print('};')
# ARP request: who-has 10.0.0.1 tell 10.0.0.2, padded to 60
arp=struct.pack('!HHBBH',1,0x0800,6,4,1)+B+ip('10.0.0.2')+b'\0'*6+ip('10.0.0.1')
f=eth(BC,B,0x0806)+arp; f+=b'\0'*(60-len(f))
carr('arp_request',f,'ARP who-has 10.0.0.1 tell 10.0.0.2 from 52:54:00:12:34:56, padded to 60')
arpr=struct.pack('!HHBBH',1,0x0800,6,4,2)+A+ip('10.0.0.1')+B+ip('10.0.0.2')
carr('arp_reply_expect',eth(B,A,0x0806)+arpr,'its answer from 02:00:00:00:00:01 (no padding)')
garp=struct.pack('!HHBBH',1,0x0800,6,4,1)+A+ip('10.0.0.1')+b'\0'*6+ip('10.0.0.1')
carr('arp_gratuitous',eth(BC,A,0x0806)+garp,'gratuitous ARP request for 10.0.0.1 from 02:00:00:00:00:01')
# ICMP echo request 10.0.0.2 -> 10.0.0.1, id 0x1234 seq 1, 5-byte payload "hello" (odd)
m,ic=icmp(8,0x1234,1,b'hello')
p,ipc=ipv4(1,'10.0.0.2','10.0.0.1',m,ident=0xbeef,ttl=63)
f=eth(A,B,0x0800)+p; f+=b'\0'*(60-len(f))
carr('icmp_request',f,'ICMP echo request 10.0.0.2 -> 10.0.0.1, id 0x1234 seq 1, "hello", TTL 63, padded to 60: IPv4 csum 0x%04x, ICMP csum 0x%04x'%(ipc,ic))
m,ic=icmp(0,0x1234,1,b'hello')
p,ipc=ipv4(1,'10.0.0.1','10.0.0.2',m,ident=0xbeef,ttl=64)
carr('icmp_reply_expect',eth(B,A,0x0800)+p,'its echo reply (TTL 64, no padding): IPv4 csum 0x%04x, ICMP csum 0x%04x'%(ipc,ic))
# UDP 10.0.0.2:5000 -> 10.0.0.1:7 "hello" with checksum
u,uc=udp('10.0.0.2','10.0.0.1',5000,7,b'hello')
p,ipc=ipv4(17,'10.0.0.2','10.0.0.1',u,ident=0x0001)
carr('udp_hello',eth(A,B,0x0800)+p,'UDP 10.0.0.2:5000 -> 10.0.0.1:7 "hello", DF, id 1: IPv4 csum 0x%04x, UDP csum 0x%04x'%(ipc,uc))
# same built by net_udp_build: from A 10.0.0.1:7 to B 10.0.0.2:5000 payload "world!" id 0x4242 ttl 64 DF
u,uc=udp('10.0.0.1','10.0.0.2',7,5000,b'world!')
p,ipc=ipv4(17,'10.0.0.1','10.0.0.2',u,ident=0x4242)
carr('udp_built',eth(B,A,0x0800)+p,'UDP 10.0.0.1:7 -> 10.0.0.2:5000 "world!", DF, id 0x4242: IPv4 csum 0x%04x, UDP csum 0x%04x'%(ipc,uc))
# VLAN 100, IP options (router alert 94 04 00 00), UDP without checksum
u,uc=udp('192.168.1.10','192.168.1.20',1234,4321,b'\x01\x02\x03',do=False)
p,ipc=ipv4(17,'192.168.1.10','192.168.1.20',u,ident=0x0102,flags=0,opts=bytes([0x94,4,0,0]))
carr('udp_vlan_opts',eth(A,B,0x0800,vid=0x2064)+p,'VLAN PCP 1 VID 100, IPv4 with router alert option (IHL 6), UDP 192.168.1.10:1234 -> 192.168.1.20:4321 no checksum: IPv4 csum 0x%04x'%ipc)
# TCP SYN
tcp=struct.pack('!HHIIBBHHH',40000,80,1,0,5<<4,2,65535,0,0)
p,ipc=ipv4(6,'10.0.0.2','10.0.0.1',tcp,ident=7)
carr('tcp_syn',eth(A,B,0x0800)+p,'TCP (header only, checksum not checked) 10.0.0.2 -> 10.0.0.1: IPv4 csum 0x%04x'%ipc)
# fragment: first fragment of UDP (MF set)
u,uc=udp('10.0.0.2','10.0.0.1',5000,7,b'x'*16)
p,ipc=ipv4(17,'10.0.0.2','10.0.0.1',u[:16],ident=9,flags=0x2000)
carr('udp_first_frag',eth(A,B,0x0800)+p,'first fragment (MF) of a UDP datagram, 16 bytes of it: IPv4 csum 0x%04x'%ipc)
# IPv6 frame (other)
v6=bytes.fromhex('6000000000083a40')+b'\xfe\x80'+b'\0'*13+b'\x01'+b'\xfe\x80'+b'\0'*13+b'\x02'+bytes.fromhex('8000000000000000')
carr('ipv6',eth(A,B,0x86dd)+v6,'IPv6 (kind OTHER)')
