// Capture devices, through the `cap` package (libpcap's device list): what
// `cap` does well. The packet path itself is the native addon's TPACKET_V3 loop.
import net from 'node:net';

export interface DeviceAddress {
  addr: string;
  netmask?: string;
  broadaddr?: string;
}
export interface Device {
  name: string;
  description?: string;
  addresses: DeviceAddress[];
  flags?: string;
}

interface CapModule {
  Cap: {
    deviceList(): Device[];
    findDevice(ip?: string): string | undefined;
  };
}

function cap(): CapModule {
  return require('cap') as CapModule;
}

export function listDevices(): Device[] {
  return cap().Cap.deviceList();
}

/**
 * An interface name as given, or the device holding the given IP address
 * (`--interface 192.0.2.7`). Throws with a clear message when nothing matches.
 */
export function resolveInterface(spec: string): string {
  if (net.isIP(spec)) {
    const name = cap().Cap.findDevice(spec);
    if (!name) throw new Error(`no capture device has the address ${spec} (see \`gnpay interfaces\`)`);
    return name;
  }
  if (!/^[A-Za-z0-9_.:@-]{1,64}$/.test(spec)) throw new Error(`"${spec}" is not an interface name or an IP address`);
  return spec;
}
